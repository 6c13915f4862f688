package flows

// tuning holds the reader's numbers: how its logistic regression is
// trained, and the thresholds that turn a reading into a verdict.
// defaultTuning is what the engine uses; they were chosen on the tune
// corpora only (flows/testdata/understanding/tune, by TestSearchTuning),
// never on a held-out set.
type tuning struct {
	// Temperature divides the scores before they become probabilities:
	// below 1 sharpens them, above 1 flattens them.
	Temperature float64
	// MinPage: a page is shown at this probability or more. MinUrgent: a
	// page of distress at this or more (recall first: a help number shown
	// for nothing costs less than one missed).
	MinPage, MinUrgent float64
	// MinPair: two pages together at least this likely are offered as a
	// choice, when the second is at least MinSecond.
	MinPair, MinSecond float64
	// MinEvidence is how much better than all the examples together a page
	// must explain a message (a log-likelihood ratio, in nats): one word
	// shared with it is not enough. Evidence is the page's log-odds
	// against no page. MinUrgentEvidence is the same for a page of
	// distress.
	MinEvidence, MinUrgentEvidence float64
	// MinUrgentSecond is how likely danger must be, behind another page,
	// for the question between the two to be asked instead of the page.
	MinUrgentSecond float64
	// MinUrgentWords: fewer words alone ("cuchillo", "pago") never open a
	// page of danger by reading; the pack's urgent keywords, typed exactly,
	// do.
	MinUrgentWords int
	// Epochs is how many passes training makes over the examples, at
	// Adagrad's Rate, with L2 regularisation.
	Epochs   int
	Rate, L2 float64
	// Balance weighs the logistic regression's examples by how few their
	// class has (0 not at all, 1 fully; see classWeights).
	Balance float64
}

// defaultTuning is the reader's numbers.
var defaultTuning = tuning{
	Temperature:       1,
	MinPage:           0.45,
	MinUrgent:         0.3,
	MinPair:           0.55,
	MinSecond:         0.15,
	MinEvidence:       0,
	MinUrgentEvidence: 1,
	MinUrgentSecond:   0.05,
	MinUrgentWords:    2,
	Epochs:            30,
	Rate:              0.3,
	L2:                1e-6,
	Balance:           1,
}
