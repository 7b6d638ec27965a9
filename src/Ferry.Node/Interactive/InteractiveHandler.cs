using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Interactive;
using Ferry.Node.Credentials;
using Ferry.Node.Heartbeats;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;
using Ferry.Node.Settings;

namespace Ferry.Node.Interactive;

/// <summary>
/// Runs an interactive request on this node with the engine: the access policy comes from the node's settings, and a
/// linked service's encryptedCredential is opened with the runtime's credential key, in memory, for this request only.
/// </summary>
public sealed partial class InteractiveHandler(IdentityWatch identities, CredentialOpener credentials, NodeSettingsStore settings,
    Connection.ControlPlaneHttp controlPlane, ILogger<InteractiveHandler> logger)
{
    public async Task<InteractiveResponse> HandleAsync(InteractiveRequest request, CancellationToken ct)
    {
        var identity = identities.Current;
        EngineContext context;
        try
        {
            context = new EngineContext(settings.Policy(), envelope => credentials.Open(identity, envelope), identity?.NodeName ?? Environment.MachineName,
                controlPlane.HttpDataStoreProxy);
        }
        catch (NodeSetupException e)
        {
            return new InteractiveResponse(request.Id, false, ErrorCode: ErrorCodes.DataStoreError, Message: e.Message);
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var response = await InteractiveRunner.RunAsync(request, context, ct);
        LogHandled(logger, request.Operation, request.LinkedServiceName ?? "?", response.Succeeded ? "succeeded" : $"failed ({response.ErrorCode})",
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return response;
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Interactive {Operation} on linked service {LinkedService} {Outcome} in {Milliseconds:F0} ms")]
    private static partial void LogHandled(ILogger logger, string operation, string linkedService, string outcome, double milliseconds);
}
