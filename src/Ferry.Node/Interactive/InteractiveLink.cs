namespace Ferry.Node.Interactive;

/// <summary>
/// How interactive requests reach this node, shared by the heartbeat loop (which learns the relay URL and whether the
/// runtime uses self-contained interactive authoring) and the relay and poll loops (which report the relay's state
/// back through the next heartbeat).
/// </summary>
public sealed class InteractiveLink
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string? RelayUrl { get; private set; }
    public bool SelfContained { get; private set; }

    /// <summary>Null until the first relay attempt ended; then whether the relay WebSocket is open.</summary>
    public bool? RelayConnected { get; private set; }
    public string? RelayError { get; private set; }

    /// <summary>What the server said in its last heartbeat answer; wakes the loops when it changed.</summary>
    public void Directed(string? relayUrl, bool selfContained)
    {
        lock (_gate)
        {
            if (relayUrl == RelayUrl && selfContained == SelfContained)
                return;
            RelayUrl = relayUrl;
            SelfContained = selfContained;
            _changed.TrySetResult();
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void RelayUp()
    {
        RelayConnected = true;
        RelayError = null;
    }

    public void RelayDown(string error)
    {
        RelayConnected = false;
        RelayError = error;
    }

    /// <summary>Waits until the server's directions change, or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForChangeAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        Task changed;
        lock (_gate)
            changed = _changed.Task;
        await changed.WaitAsync(timeout, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ct.ThrowIfCancellationRequested();
    }
}
