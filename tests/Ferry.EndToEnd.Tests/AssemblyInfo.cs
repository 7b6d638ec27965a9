// The end-to-end tests start real servers and nodes; on a two-core machine they run one at a time so that
// one test's processes do not starve another's heartbeats.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
