package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/redistest/faults"
)

// TestBroadcastSurvivesClusterMasterFailover kills the master that holds
// the broadcast queue and ledger in the middle of a broadcast, on a real
// local Redis Cluster (3 masters, 3 replicas, node timeout 2 s), with
// SENDA_WAIT_REPLICAS=1. The broadcast resumes once the cluster healed and
// every subscriber gets the message exactly once: no duplicate, no loss,
// counted at the fake Twilio.
func TestBroadcastSurvivesClusterMasterFailover(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cluster := faults.StartCluster(t, faults.ClusterOptions{Masters: 3, ReplicasPerMaster: 1, NodeTimeout: 2 * time.Second})
	addrs := cluster.Addrs()
	redisURL := "redis://" + addrs[0] + "?addr=" + strings.Join(addrs[1:], "&addr=")
	opts, err := config.ParseRedisURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Cluster.ClusterStateReloadInterval == 0 {
		// Until bot/config sets it (branch s7conv): go-redis reloads the
		// slot map only on MOVED/ASK or every 60 s otherwise.
		opts.Cluster.ClusterStateReloadInterval = time.Second
	}
	cfg := broadcastConfig()
	cfg.RedisURL, cfg.Redis = redisURL, opts
	cfg.Broadcast.WaitReplicas = 1
	rdb := opts.Client()
	t.Cleanup(func() { rdb.Close() })
	fake, client := fakeSender(t)
	fake.SetLatency(10 * time.Millisecond)
	ts := newTestService(t, cfg, Deps{Redis: rdb, Prefix: "senda-cluster:", Sender: client})
	const n = 60
	for i := range n {
		ts.sms(fmt.Sprintf("+5025560%04d", i)).optIn(t, "1")
	}
	// The default takeover timing (heartbeats, claim threshold), as in
	// production: deliveries whose claim failed during the failover are
	// taken over by the heartbeat rule, not by a test's short one.
	startWorkers(t, ts, func(c *broadcast.WorkerConfig) {
		c.MPS, c.Workers, c.Tick, c.Block = 15, 2, 50*time.Millisecond, 100*time.Millisecond
	})
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	eventually(t, 20*time.Second, "a quarter of the broadcast sent", func() bool { return len(fake.Messages()) >= n/4 })
	victim, err := cluster.MasterFor(ctx, "senda-cluster:{q}:stream")
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.KillMaster(victim); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	sentAtKill := len(fake.Messages())
	if err := cluster.WaitHealed(ctx); err != nil {
		t.Fatal(err)
	}
	healed := time.Now()
	sentAtHeal := len(fake.Messages())
	var resumed time.Time
	var final broadcast.Status
	eventually(t, 30*time.Second, "the broadcast done within 30 s of the cluster healing", func() bool {
		if resumed.IsZero() && len(fake.Messages()) > sentAtHeal {
			resumed = time.Now()
		}
		rec := ts.admin(t, http.MethodGet, "/admin/broadcasts/"+st.ID, nil)
		if rec.Code != http.StatusOK {
			return false // Redis is failing over
		}
		final = broadcast.Status{}
		json.Unmarshal(rec.Body.Bytes(), &final)
		return final.State == broadcast.StateDone
	})
	done := time.Now()
	if resumed.IsZero() {
		resumed = done
	}
	counts := sentTo(fake)
	dups, losses := 0, n-len(counts)
	for _, c := range counts {
		dups += c - 1
	}
	t.Logf("failover: %d sent at the kill, healed %.1f s after it (%d sent by then), sends resumed %.1f s after healing, done %.1f s after healing; %d duplicates, %d losses, %d short WAITs",
		sentAtKill, healed.Sub(killed).Seconds(), sentAtHeal, resumed.Sub(healed).Seconds(), done.Sub(healed).Seconds(), dups, losses, ts.broadcasts.ShortWaits())
	if dups != 0 || losses != 0 || final.Sent != n {
		t.Fatalf("%d duplicates, %d losses; figures %+v", dups, losses, final)
	}
	// The daily figures were counted in memory; the script that writes them
	// (its keys all under {stats}) runs on Cluster, after the failover too.
	rep, err := ts.stats.Read(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Messages != 3*n || rep.Total.People != n || rep.Total.OptIns["salud"] != n {
		t.Errorf("daily figures: %d messages, %d people, %d opt-ins to salud; want %d, %d, %d",
			rep.Total.Messages, rep.Total.People, rep.Total.OptIns["salud"], 3*n, n, n)
	}
}
