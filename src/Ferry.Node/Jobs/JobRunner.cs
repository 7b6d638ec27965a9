using System.Net;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Ferry.Node.Connection;
using Ferry.Node.Credentials;
using Ferry.Node.Heartbeats;
using Ferry.Node.Identity;
using Ferry.Node.Settings;

namespace Ferry.Node.Jobs;

/// <summary>
/// The node's work loop: long-polls its runtime's queue while it has free slots, runs each leased job with the engine,
/// renews the lease on its own clock (hearing of cancels there), and reports the outcome with the lease's epoch. When
/// the server says the lease was lost, the work is dropped uncommitted and nothing is reported.
/// </summary>
public sealed partial class JobRunner(IdentityWatch identities, ServerClient server, JobSlots slots, CredentialOpener credentials,
    NodeSettingsStore settings, Connection.ControlPlaneHttp controlPlane, TimeProvider time, ILogger<JobRunner> logger) : BackgroundService
{
    private readonly Backoff _backoff = new(Random.Shared);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            var identity = identities.Current;
            if (identity is null || slots.Free == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }
            try
            {
                var lease = await server.PollJobAsync(identity, new JobPollRequest(slots.Free), stoppingToken);
                _backoff.Reset();
                if (lease is null)
                    continue;
                slots.Enter();
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await RunAsync(identity, lease, stoppingToken);
                    }
                    finally
                    {
                        slots.Exit();
                    }
                }, CancellationToken.None));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or ServerProblemException)
            {
                // The heartbeat loop tells the server's absence; here we only wait before polling again.
                await Task.Delay(_backoff.NextDelay(), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync(NodeIdentity identity, JobLease lease, CancellationToken stoppingToken)
    {
        LogStarted(logger, lease.Payload.ActivityName, lease.JobId, lease.Epoch);
        var context = new EngineContext(settings.Policy(), envelope => credentials.Open(identity, envelope), identity.NodeName, controlPlane.HttpDataStoreProxy);
        var result = await JobExecution.RunAsync(lease, context, async (request, ct) =>
        {
            try
            {
                return await server.RenewJobAsync(identity, lease.JobId, request, ct);
            }
            // The lease went to another node, the job is gone, or this node was removed from the runtime (its jobs were
            // queued again for the others): in every case the work is another's now.
            catch (ServerProblemException e) when (e.Code is ErrorCodes.LeaseLost or ErrorCodes.JobNotFound or ErrorCodes.NodeRemoved)
            {
                throw new LeaseLostException(e.Message);
            }
            catch (ServerProblemException e) when ((int)e.Status >= 500)
            {
                // The control plane is there but cannot answer (its database restarting, say): a missed renewal, tried again.
                throw new HttpRequestException(e.Message, e, e.Status);
            }
        }, stoppingToken);
        if (result is null)
        {
            LogDropped(logger, lease.Payload.ActivityName, lease.JobId);
            return;
        }
        await ReportAsync(identity, lease, result, stoppingToken);
    }

    /// <summary>
    /// Delivers the outcome, trying again (backing off) while the server is unreachable or cannot answer, for as long
    /// as the lease could still be this node's; the server's grace after a restart or a database outage keeps the lease
    /// meanwhile. A refusal (the lease is another's) or the time running out leaves the job to run again elsewhere.
    /// </summary>
    private async Task ReportAsync(NodeIdentity identity, JobLease lease, JobCompleteRequest result, CancellationToken stoppingToken)
    {
        var backoff = new Backoff(Random.Shared, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(Math.Max(60, lease.LeaseSeconds * 2));
        while (true)
        {
            try
            {
                await server.CompleteJobAsync(identity, lease.JobId, result, stoppingToken);
                LogFinished(logger, lease.Payload.ActivityName, lease.JobId, result.Cancelled ? "cancelled" : result.Succeeded ? "succeeded" : $"failed ({result.Error?.ErrorCode})");
                return;
            }
            catch (Exception e) when (e is HttpRequestException || e is ServerProblemException { Status: >= System.Net.HttpStatusCode.InternalServerError })
            {
                if (time.GetUtcNow() >= deadline || stoppingToken.IsCancellationRequested)
                {
                    LogNotReported(logger, lease.JobId, e.Message);
                    return;
                }
                await Task.Delay(backoff.NextDelay(), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (ServerProblemException e)
            {
                LogNotReported(logger, lease.JobId, e.Message);
                return;
            }
        }
    }

    [LoggerMessage(EventId = 3501, Level = LogLevel.Information, Message = "Running activity {Activity} (job {JobId}, lease {Epoch})")]
    private static partial void LogStarted(ILogger logger, string activity, Guid jobId, int epoch);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Information, Message = "Activity {Activity} (job {JobId}) {Outcome}")]
    private static partial void LogFinished(ILogger logger, string activity, Guid jobId, string outcome);

    [LoggerMessage(EventId = 3503, Level = LogLevel.Warning, Message = "Dropped activity {Activity} (job {JobId}): this node no longer holds its lease; nothing was committed")]
    private static partial void LogDropped(ILogger logger, string activity, Guid jobId);

    [LoggerMessage(EventId = 3504, Level = LogLevel.Warning, Message = "Could not report job {JobId} (it will run again): {Error}")]
    private static partial void LogNotReported(ILogger logger, Guid jobId, string error);
}
