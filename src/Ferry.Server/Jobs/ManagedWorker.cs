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
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        // The lease is renewed on its own clock, whatever the copy is doing; a cancel heard there stops the copy.
        var renewals = Task.Run(async () =>
        {
            while (!cancel.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(lease.RenewSeconds), cancel.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (cancel.IsCancellationRequested)
                    return;
                if ((await jobs.RenewAsync(lease.JobId, WorkerId, new JobRenewRequest(lease.Epoch), stoppingToken)).Cancel)
                    await cancel.CancelAsync();
            }
        }, stoppingToken);
        JobCompleteRequest result;
        try
        {
            var output = await CopyActivity.RunAsync(lease.Payload, context, (_, _) => Task.CompletedTask,
                ct => jobs.RenewAsync(lease.JobId, WorkerId, new JobRenewRequest(lease.Epoch), ct), cancel.Token);
            result = new JobCompleteRequest(lease.Epoch, true, output);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            result = new JobCompleteRequest(lease.Epoch, false, Cancelled: true);
        }
        catch (DataStoreException e)
        {
            result = new JobCompleteRequest(lease.Epoch, false, Error: new ActivityError(e.Code, e.Message, Target: lease.Payload.ActivityName));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            result = new JobCompleteRequest(lease.Epoch, false, Error: new ActivityError(ErrorCodes.DataStoreError, e.Message, Target: lease.Payload.ActivityName));
        }
        await cancel.CancelAsync();
        await renewals.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await jobs.CompleteAsync(lease.JobId, WorkerId, name, result, stoppingToken);
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Managed worker {Name} failed a job round; retrying")]
    private static partial void LogFailed(ILogger logger, string name, Exception e);
}
