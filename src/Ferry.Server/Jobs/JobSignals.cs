using System.Collections.Concurrent;

namespace Ferry.Server.Jobs;

/// <summary>Wakes long polls waiting on a queue when work is put on it in this process; pollers also look again every second.</summary>
public sealed class JobSignals
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _queues = new();

    public void Notify(string queue)
    {
        var signal = _queues.GetOrAdd(queue, _ => new SemaphoreSlim(0));
        if (signal.CurrentCount == 0)
            signal.Release();
    }

    public async Task WaitAsync(string queue, TimeSpan timeout, CancellationToken ct) =>
        await _queues.GetOrAdd(queue, _ => new SemaphoreSlim(0)).WaitAsync(timeout, ct);
}
