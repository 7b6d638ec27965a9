using System.Collections.Concurrent;

namespace Ferry.Server.Jobs;

/// <summary>
/// Wakes long polls waiting on a queue when work is put on it. In this process at once; in the other instances over
/// one PostgreSQL database through <see cref="PostgresJobBus"/> (LISTEN/NOTIFY) when there is one. Pollers also look
/// again every second, so a lost notification costs a second, never a job.
/// </summary>
public sealed class JobSignals
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _queues = new();
    private volatile Func<string, Task>? _publish;

    /// <summary>Work was queued here: wakes this process's pollers and tells the other instances.</summary>
    public void Notify(string queue)
    {
        Wake(queue);
        if (_publish is { } publish)
            _ = PublishAsync(publish, queue);
    }

    /// <summary>Wakes this process's pollers of <paramref name="queue"/> (work queued here or by another instance).</summary>
    public void Wake(string queue)
    {
        var signal = _queues.GetOrAdd(queue, _ => new SemaphoreSlim(0));
        if (signal.CurrentCount == 0)
            signal.Release();
    }

    public void PublishWith(Func<string, Task>? publish) => _publish = publish;

    /// <summary>Waits for a wake-up of <paramref name="queue"/>; answers false when the time ran out first.</summary>
    public Task<bool> WaitAsync(string queue, TimeSpan timeout, CancellationToken ct) =>
        _queues.GetOrAdd(queue, _ => new SemaphoreSlim(0)).WaitAsync(timeout, ct);

    private static async Task PublishAsync(Func<string, Task> publish, string queue)
    {
        try
        {
            await publish(queue);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The other instances' pollers find the work at their next look, within a second.
        }
    }
}
