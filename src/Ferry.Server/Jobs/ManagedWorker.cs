using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Ferry.Server.Runs;

namespace Ferry.Server.Jobs;

/// <summary>
/// The managed runtime: the server's own workers take jobs from the 'managed' queue and run them with the same engine
/// as nodes, under the strict default policy (no local folders, no local machine) and with no credential key.
/// </summary>
public sealed partial class ManagedWorker(JobService jobs, ILogger<ManagedWorker> logger) : BackgroundService
{
    private const int Workers = 2;
    private static readonly Guid WorkerId = Guid.Empty;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Workers).Select(i => WorkAsync($"managed-{i + 1}", stoppingToken)));

    private async Task WorkAsync(string name, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await jobs.PollAsync(RunOrchestrator.ManagedQueue, WorkerId, name, 1, JobService.PollWait, stoppingToken) is { } lease)
                    await RunAsync(lease, name, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(logger, name, e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task RunAsync(JobLease lease, string name, CancellationToken stoppingToken)
    {
        var context = new EngineContext(NodeAccessPolicy.Default, _ => throw new DataStoreException(ErrorCodes.CredentialUnavailable,
            "The managed runtime keeps no credential key; connect the linked service via a self-hosted runtime."), "the managed runtime");
        var result = await JobExecution.RunAsync(lease, context, async (request, ct) =>
        {
            try
            {
                return await jobs.RenewAsync(lease.JobId, WorkerId, request, ct);
            }
            catch (Errors.FerryException e) when (e.Code is ErrorCodes.LeaseLost or ErrorCodes.JobNotFound)
            {
                throw new LeaseLostException(e.Message);
            }
        }, stoppingToken);
        if (result is not null)
            await jobs.CompleteAsync(lease.JobId, WorkerId, name, result, stoppingToken);
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Managed worker {Name} failed a job round; retrying")]
    private static partial void LogFailed(ILogger logger, string name, Exception e);
}
