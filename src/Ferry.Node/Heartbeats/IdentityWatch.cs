using Ferry.Node.Identity;

namespace Ferry.Node.Heartbeats;

/// <summary>The node's current identity, reloaded when dmgcmd registers or re-keys the node while it runs.</summary>
public sealed class IdentityWatch(NodeIdentityStore store) : IDisposable
{
    private readonly SemaphoreSlim _changed = new(0);

    public NodeIdentity? Current { get; private set; } = store.Load();

    public void Reload()
    {
        Current = store.Load();
        _changed.Release();
    }

    public void Removed()
    {
        store.MarkRemoved();
        Current = null;
    }

    /// <summary>Waits until the identity changes or the delay passes, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(delay, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await _changed.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The delay passed: time for the next heartbeat.
        }
    }

    public void Dispose() => _changed.Dispose();
}
