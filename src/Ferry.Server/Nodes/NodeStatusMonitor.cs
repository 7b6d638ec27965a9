using Ferry.Contracts.Resources;
using Ferry.Server.Hosting;
using Ferry.Server.Store;

namespace Ferry.Server.Nodes;

/// <summary>
/// Notices silence: once a second it finds nodes recorded as up whose last heartbeat is older than the offline
/// threshold and records them Offline with the cause. (Heartbeats, stops and removals record their own changes.)
/// </summary>
public sealed partial class NodeStatusMonitor(IFerryStore store, StatusRecorder recorder, ServerOptions options, TimeProvider time,
    ILogger<NodeStatusMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A database hiccup must not kill the monitor; the next sweep retries.
                LogSweepFailed(logger, e);
            }
            await Task.Delay(Period, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async Task SweepAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var node in await store.ListSilentNodesAsync(now - options.OfflineAfter, ct))
            await recorder.NodeSilentAsync(node, ct);
    }

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Status sweep failed; retrying in a second")]
    private static partial void LogSweepFailed(ILogger logger, Exception e);
}
