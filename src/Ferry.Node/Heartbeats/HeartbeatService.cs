using System.Net;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Node.Connection;
using Ferry.Node.Credentials;
using Ferry.Node.Hosting;
using Ferry.Node.Metrics;

namespace Ferry.Node.Heartbeats;

/// <summary>
/// The node's liveness loop, separate from everything else it does. Every interval (the server sets it) it sends a
/// heartbeat with its version, load and clock. Each failure is handled where it happens:
/// <list type="bullet">
/// <item>no identity: wait for dmgcmd -RegisterNewNode, showing NeedRegistration;</item>
/// <item>the server says the node was removed (410): stop trying, keep the old identity aside, show NeedRegistration;</item>
/// <item>the server refuses the call (clock skew, bad signature): keep the reason, retry with backoff, report it once back;</item>
/// <item>the server cannot be reached: same, so the node comes back on its own when the server does.</item>
/// </list>
/// On a graceful stop it tells the server, which shows it Offline at once.
/// </summary>
public sealed partial class HeartbeatService(
    IdentityWatch identities, ServerClient server, CredentialStore credentials, CredentialSync sync, NodeState state,
    Interactive.InteractiveLink link, Remote.RemoteAccessState remote, Jobs.JobSlots slots, ProxyDirectives proxies, TimeProvider time,
    ILogger<HeartbeatService> logger)
    : BackgroundService
{
    private readonly HostMetrics _metrics = new();
    private readonly Backoff _backoff = new(Random.Shared);
    private readonly CredentialSync _sync = sync;
    private int _runtimeCredentialVersion;
    private static readonly TimeSpan MinimumAnswerTime = TimeSpan.FromSeconds(5);
    private TimeSpan _interval = TimeSpan.FromSeconds(10);
    private int _concurrentJobsLimit;
    private string? _versionStatus;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        state.Bound(identities.Current);
        while (!stoppingToken.IsCancellationRequested)
        {
            var identity = identities.Current;
            state.Bound(identity);
            if (identity is null)
            {
                // Nothing to do until dmgcmd registers the node; it pokes us through the admin endpoint.
                await identities.WaitAsync(TimeSpan.FromSeconds(5), time, stoppingToken);
                continue;
            }

            TimeSpan wait;
            // A heartbeat gets one interval (at least 5 s) to be answered, and the next is due one interval after this one
            // began: on a lossy, slow link one stuck call then costs one interval, not the client's whole timeout on top
            // of it (which would leave the server hearing nothing for longer than its offline threshold).
            var began = time.GetTimestamp();
            var answerWithin = _interval < MinimumAnswerTime ? MinimumAnswerTime : _interval;
            using var timeout = new CancellationTokenSource(answerWithin, time);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
            try
            {
                var (total, available) = HostMetrics.Read();
                var heldVersion = HeldCredentialVersion(identity.RuntimeId);
                // Behind when holding nothing, or an older version than the runtime's (after a rotation).
                // Coming back from an outage of the server, the relay is down for the same reason: no news until it has had its chance.
                var (relayConnected, relayError) = state.Current.State == ConnectionState.Connected ? link.Report(time.GetUtcNow()) : (null, null);
                var (syncKey, syncSignature) = heldVersion == 0 || heldVersion < _runtimeCredentialVersion ? _sync.WaitingKey(identity) : (null, null);
                var (proxyId, proxyError) = proxies.Answer;
                var response = await server.HeartbeatAsync(identity, new HeartbeatRequest(
                    NodeVersion.Current, NodeProtocol.Version, state.StartedAt, time.GetUtcNow(), _metrics.CpuUtilization(), available, total,
                    Environment.ProcessorCount, ConcurrentJobsRunning: slots.Running, _concurrentJobsLimit, SentBytes: 0, ReceivedBytes: 0, state.UnreportedError,
                    heldVersion, syncKey, relayConnected, relayError, syncSignature, remote.Port, remote.CertificateSha256, proxyId, proxyError), deadline.Token);
                proxies.Reported(proxyId);
                _runtimeCredentialVersion = response.CredentialKeyVersion;
                link.Directed(response.RelayUrl, response.SelfContainedInteractiveAuthoring);
                if (state.Current.State != ConnectionState.Connected)
                {
                    LogConnected(logger, identity.ServerUrl, identity.Factory, identity.Runtime, identity.NodeName);
                    link.ServerBack(time.GetUtcNow());
                }
                state.Connected(time.GetUtcNow());
                _backoff.Reset();
                _interval = TimeSpan.FromSeconds(Math.Clamp(response.HeartbeatIntervalSeconds, 1, 3600));
                _concurrentJobsLimit = response.ConcurrentJobsLimit;
                slots.Limit = response.ConcurrentJobsLimit;
                Heard(response.VersionStatus, response.VersionCause);
                wait = TimeSpan.FromTicks(Math.Max(0, (_interval - time.GetElapsedTime(began)).Ticks));
                if (response.Proxy is { } directive)
                {
                    await proxies.ApplyAsync(identity, directive, stoppingToken);
                    wait = TimeSpan.Zero; // tell the server at once whether it was kept
                }
                if (await _sync.HandleAsync(identity, heldVersion, response, stoppingToken))
                    wait = TimeSpan.Zero; // tell the server at once that this node now holds the key
            }
            catch (ServerProblemException e) when (e.Status == HttpStatusCode.Gone && e.Code == ErrorCodes.NodeRemoved)
            {
                LogRemoved(logger, e.Message);
                identities.Removed();
                state.NeedsRegistration(e.Message);
                continue;
            }
            catch (ServerProblemException e)
            {
                wait = Failed($"the server refused the heartbeat ({e.Code}): {e.Message}");
            }
            catch (HttpRequestException e)
            {
                wait = Failed(e.Message);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                wait = Failed($"the server at {identity.ServerUrl} did not answer the heartbeat within {answerWithin.TotalSeconds:F0} s");
            }
            catch (Exception e) when (e is NodeSetupException or System.Security.Cryptography.CryptographicException or IOException)
            {
                // A local file the node cannot read or write: say what is wrong and retry, rather than letting the service die.
                wait = Failed($"local credential store: {e.Message}");
            }
            await identities.WaitAsync(wait, time, stoppingToken);
        }
    }

    /// <summary>
    /// The credential key version this node holds. A damaged credentials file counts as none: the node then shows
    /// Limited and gets the key again from another node, which replaces the damaged file.
    /// </summary>
    private int HeldCredentialVersion(Guid runtimeId)
    {
        try
        {
            return credentials.VersionFor(runtimeId);
        }
        catch (NodeSetupException e)
        {
            LogCredentialsUnreadable(logger, e.Message);
            return 0;
        }
    }

    /// <summary>Writes what the server says of this node's version to the event log when it changes.</summary>
    private void Heard(string? versionStatus, string? cause)
    {
        if (versionStatus is null || versionStatus == _versionStatus)
            return;
        _versionStatus = versionStatus;
        if (versionStatus == "Expired")
            NodeEvents.VersionExpired(logger, cause ?? "this server no longer supports this node's version");
        else if (versionStatus == "UpdateAvailable")
            NodeEvents.UpdateAvailable(logger, cause ?? "the server runs a newer version");
    }

    private TimeSpan Failed(string error)
    {
        var delay = _backoff.NextDelay();
        if (state.Current.LastError != error || state.Current.State == ConnectionState.Connected)
            LogFailed(logger, error, delay.TotalSeconds);
        state.Failed(error);
        return delay;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (identities.Current is { } identity && state.Current.State == ConnectionState.Connected)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await server.StoppingAsync(identity, "service stopped", timeout.Token);
            }
            catch (Exception e) when (e is HttpRequestException or ServerProblemException or OperationCanceledException)
            {
                // The server will notice the silence within the offline threshold instead.
                LogGoodbyeFailed(logger, e.Message);
            }
        }
        state.Stopped();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Connected to {ServerUrl} as node {NodeName} of runtime {Factory}/{Runtime}")]
    private static partial void LogConnected(ILogger logger, string serverUrl, string factory, string runtime, string nodeName);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Heartbeat failed: {Error}; retrying in {Seconds:F1} s")]
    private static partial void LogFailed(ILogger logger, string error, double seconds);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "The server removed this node: {Message}")]
    private static partial void LogRemoved(ILogger logger, string message);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "The credential store is unreadable, getting the key again from another node: {Message}")]
    private static partial void LogCredentialsUnreadable(ILogger logger, string message);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Could not tell the server this node is stopping: {Message}")]
    private static partial void LogGoodbyeFailed(ILogger logger, string message);
}
