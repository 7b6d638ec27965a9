namespace Ferry.Server.Jobs;

/// <summary>
/// Once a second, returns jobs whose lease lapsed to their queue (or fails them when their attempts are spent). After
/// this instance starts it first waits one offline threshold: leases that lapsed while the control plane was down are
/// not rescued until their holders have had the time to reconnect and renew them, so a restart alone never runs a job
/// twice (DESIGN.md's grace after a server restart).
/// </summary>
public sealed partial class JobSweeper(JobService jobs, Hosting.ServerOptions options, TimeProvider time, ILogger<JobSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogGrace(logger, options.OfflineAfter.TotalSeconds);
        await Task.Delay(options.OfflineAfter, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await jobs.SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(logger, e);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Job sweep failed; retrying in a second")]
    private static partial void LogSweepFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Leases lapsed while the control plane was away are rescued after a grace of {Seconds} s, once their holders could renew them")]
    private static partial void LogGrace(ILogger logger, double seconds);
}
