namespace Ferry.Node.Heartbeats;

/// <summary>
/// Reconnect delays: 1 s doubling to 60 s, with full jitter (a random delay between zero and the cap), so that
/// hundreds of nodes losing the same server do not come back in lock-step.
/// </summary>
public sealed class Backoff(Random random, TimeSpan? first = null, TimeSpan? cap = null)
{
    private readonly TimeSpan _first = first ?? TimeSpan.FromSeconds(1);
    private readonly TimeSpan _cap = cap ?? TimeSpan.FromSeconds(60);
    private int _failures;

    public TimeSpan NextDelay()
    {
        var ceiling = Math.Min(_cap.TotalMilliseconds, _first.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 30)));
        _failures++;
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
    }

    public void Reset() => _failures = 0;
}
