package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/senda-org/senda/bot/adminapi"
)

// Reports returns the open reports, oldest first.
func (c *Client) Reports(ctx context.Context) (adminapi.ReportList, []byte, error) {
	a, err := c.call(ctx, http.MethodGet, adminapi.PathReports, nil, nil)
	if err != nil {
		return adminapi.ReportList{}, nil, err
	}
	return decode[adminapi.ReportList](a, "a list of reports")
}

// PublishReport sends a report, as edited in req, to the report topic.
func (c *Client) PublishReport(ctx context.Context, id string, req adminapi.ReportPublish) (adminapi.ReportPublished, []byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return adminapi.ReportPublished{}, nil, err
	}
	a, err := c.call(ctx, http.MethodPost, adminapi.ReportPublishPath(url.PathEscape(id)), body, nil)
	if err != nil {
		return adminapi.ReportPublished{}, nil, err
	}
	return decode[adminapi.ReportPublished](a, "a published report")
}

// DiscardReport deletes a report unpublished, for one of
// adminapi.DiscardReasons.
func (c *Client) DiscardReport(ctx context.Context, id, reason string) error {
	body, err := json.Marshal(adminapi.ReportDiscard{Reason: reason})
	if err != nil {
		return err
	}
	_, err = c.call(ctx, http.MethodPost, adminapi.ReportDiscardPath(url.PathEscape(id)), body, nil)
	return err
}
