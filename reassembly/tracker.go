package reassembly

// trackerState is the per-connection state private to the Tracker.
type trackerState struct{}
