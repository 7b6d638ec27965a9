namespace Ferry.Server.Jobs;

/// <summary>Once a second, returns jobs whose lease lapsed to their queue (or fails them when their attempts are spent).</summary>
public sealed partial class JobSweeper(JobService jobs, TimeProvider time, ILogger<JobSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
}
