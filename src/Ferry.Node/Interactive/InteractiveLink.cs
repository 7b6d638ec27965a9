namespace Ferry.Node.Interactive;

/// <summary>
/// How interactive requests reach this node, shared by the heartbeat loop (which learns the relay URL and whether the
/// runtime uses self-contained interactive authoring) and the relay and poll loops (which report the relay's state
/// back through the next heartbeat).
/// </summary>
public sealed class InteractiveLink
{
    /// <summary>How long the relay may be down, while the server answers heartbeats, before the node reports it (and shows Limited).</summary>
    public static readonly TimeSpan ReportAfter = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset? _downSince;

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
            Wake();
        }
    }

    public void RelayUp()
    {
        lock (_gate)
        {
            RelayConnected = true;
            RelayError = null;
            _downSince = null;
        }
    }

    public void RelayDown(string error, DateTimeOffset now)
    {
        lock (_gate)
        {
            RelayConnected = false;
            RelayError = error;
            _downSince ??= now;
        }
    }

    /// <summary>
    /// A heartbeat went through after the server was unreachable: the relay's outage so far is explained by that, so it
    /// counts from now, and the relay retries at once instead of waiting out its backoff.
    /// </summary>
    public void ServerBack(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (RelayConnected == false)
                _downSince = now;
            Wake();
        }
    }

    /// <summary>What the next heartbeat says of the relay: a drop shorter than <see cref="ReportAfter"/> is a reconnect, not news.</summary>
    public (bool? Connected, string? Error) Report(DateTimeOffset now)
    {
        lock (_gate)
            return RelayConnected == false && _downSince is { } since && now - since < ReportAfter ? (null, null) : (RelayConnected, RelayError);
    }

    private void Wake()
    {
        _changed.TrySetResult();
        _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
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
