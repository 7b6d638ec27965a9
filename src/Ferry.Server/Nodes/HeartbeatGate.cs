namespace Ferry.Server.Nodes;

/// <summary>
/// Bounds how many heartbeats the server works on at once. A whole fleet coming back together (hundreds of nodes in the
/// same second after an outage) would otherwise take every thread-pool thread in the store's blocking calls, and users'
/// API calls would queue behind them; heartbeats beyond the bound wait their turn without holding a thread. Nodes
/// tolerate the wait: a heartbeat that takes a second longer changes nothing.
/// </summary>
public sealed class HeartbeatGate : IDisposable
{
    private readonly SemaphoreSlim _slots = new(Math.Max(4, Environment.ProcessorCount * 2));

    public async Task<IDisposable> EnterAsync(CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                slots.Release();
        }
    }
}
