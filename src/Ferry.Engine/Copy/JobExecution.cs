using System.Globalization;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>Thrown by a host's renew delegate when the control plane says the lease is no longer this host's.</summary>
public sealed class LeaseLostException(string message) : Exception(message);

/// <summary>
/// Runs one leased job on any host (a node, or the server's managed workers): renews the lease on its own clock with
/// the progress so far, stops the work on a cancel, on the activity's <c>policy.timeout</c> or when the lease is lost,
/// and says how the job ended. Returns null when the lease was lost: the host then reports nothing.
/// </summary>
public static class JobExecution
{
    public static async Task<JobCompleteRequest?> RunAsync(JobLease lease, EngineContext context,
        Func<JobRenewRequest, CancellationToken, Task<JobRenewResponse>> renew, CancellationToken stoppingToken)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var timeout = new CancellationTokenSource();
        var limit = Timeout(lease.Payload.Activity);
        if (limit is { } t)
            timeout.CancelAfter(t);
        using var timeoutLink = timeout.Token.Register(work.Cancel);
        var leaseLost = false;
        CopyProgress? latest = null;

        var renewals = Task.Run(async () =>
        {
            while (!work.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(lease.RenewSeconds), work.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (work.IsCancellationRequested)
                    return;
                try
                {
                    var progress = latest is { } p
                        ? new JsonObject { ["rowsRead"] = p.RowsRead, ["rowsCopied"] = p.RowsCopied, ["dataRead"] = p.BytesRead, ["dataWritten"] = p.BytesWritten }
                        : null;
                    if ((await renew(new JobRenewRequest(lease.Epoch, progress), work.Token)).Cancel)
                        await work.CancelAsync();
                }
                catch (LeaseLostException)
                {
                    leaseLost = true;
                    await work.CancelAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed renewal (no answer, or a refusal the host does not take for a lost lease) is allowed for:
                    // the lease outlives several, and the renewal before the commit decides.
                }
            }
        }, CancellationToken.None);

        JobCompleteRequest result;
        var activity = lease.Payload.ActivityName;
        try
        {
            var output = await CopyActivity.RunAsync(lease.Payload, context, (p, _) =>
                {
                    latest = p;
                    return Task.CompletedTask;
                },
                // The sink commits only after a renewal confirmed the lease is still this host's.
                ct => ConfirmLeaseAsync(lease, renew, ct), work.Token);
            result = new JobCompleteRequest(lease.Epoch, true, output);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            result = new JobCompleteRequest(lease.Epoch, false, Error: new ActivityError(ErrorCodes.ActivityTimeout,
                $"Activity '{activity}' did not finish within its policy.timeout ({limit:c}); it was stopped and wrote nothing.", Target: activity));
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            result = new JobCompleteRequest(lease.Epoch, false, Cancelled: true);
        }
        catch (LeaseLostException)
        {
            leaseLost = true;
            result = new JobCompleteRequest(lease.Epoch, false);
        }
        catch (DataStoreException e)
        {
            result = new JobCompleteRequest(lease.Epoch, false, Error: new ActivityError(e.Code, e.Message, Target: activity));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            result = new JobCompleteRequest(lease.Epoch, false, Error: new ActivityError(ErrorCodes.DataStoreError, e.Message, Target: activity));
        }
        await work.CancelAsync();
        await renewals.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return leaseLost || stoppingToken.IsCancellationRequested ? null : result;
    }

    /// <summary>
    /// The renewal just before the sink commits. A control plane that cannot answer for a moment (a busy or restarting
    /// database, a dropped connection) is asked again, backing off, for up to half the lease; a copy that did all its
    /// work must not fail for one missed answer. Still no answer: the lease cannot be known to be this host's, so
    /// nothing is committed and the work is dropped as a lost lease; the lease lapses and the job runs again.
    /// </summary>
    private static async Task ConfirmLeaseAsync(JobLease lease, Func<JobRenewRequest, CancellationToken, Task<JobRenewResponse>> renew, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(Math.Max(1, lease.LeaseSeconds / 2));
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await renew(new JobRenewRequest(lease.Epoch), ct);
                return;
            }
            catch (HttpRequestException e)
            {
                if (DateTimeOffset.UtcNow + delay >= deadline)
                    throw new LeaseLostException($"The control plane did not confirm lease {lease.Epoch} before the commit ({e.Message}); nothing was committed.");
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(4).Ticks));
            }
        }
    }

    /// <summary>ADF's policy.timeout (d.hh:mm:ss); none means no limit here.</summary>
    public static TimeSpan? Timeout(JsonObject activity) =>
        activity["policy"]?["timeout"]?.GetValue<string>() is { } text
        && TimeSpan.TryParseExact(text, [@"d\.hh\:mm\:ss", @"hh\:mm\:ss"], CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero
            ? value
            : null;
}
