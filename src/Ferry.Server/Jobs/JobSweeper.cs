namespace Ferry.Server.Jobs;

/// <summary>
/// Once a second, returns jobs whose lease lapsed to their queue (or fails them when their attempts are spent). A grace
/// of one offline threshold comes first after this instance starts, and again after its database was unreachable:
/// leases that lapsed while the control plane could not hear renewals are not rescued until their holders have had
/// the time to renew them, so a restart or a database outage alone never runs a job twice (DESIGN.md's grace after a
/// server restart).
/// </summary>
public sealed partial class JobSweeper(JobService jobs, Hosting.ServerOptions options, TimeProvider time, ILogger<JobSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var graceUntil = time.GetUtcNow() + options.OfflineAfter;
        LogGrace(logger, options.OfflineAfter.TotalSeconds);
        var storeDown = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (storeDown)
                {
                    // Back after an outage: renewals could not be recorded meanwhile, so holders get the grace again.
                    await jobs.ProbeAsync(stoppingToken);
                    storeDown = false;
                    graceUntil = time.GetUtcNow() + options.OfflineAfter;
                    LogGrace(logger, options.OfflineAfter.TotalSeconds);
                }
                else if (time.GetUtcNow() >= graceUntil)
                {
                    await jobs.SweepAsync(stoppingToken);
                }
                else
                {
                    // In the grace, the store is still watched, so an outage within it starts the grace over.
                    await jobs.ProbeAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                storeDown = true;
                LogSweepFailed(logger, e.Message);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Job sweep failed ({Error}); retrying in a second")]
    private static partial void LogSweepFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Lapsed leases are rescued after a grace of {Seconds} s, once their holders could renew them")]
    private static partial void LogGrace(ILogger logger, double seconds);
}
