using Ferry.Node.Heartbeats;

namespace Ferry.Node.Admin;

/// <summary>
/// The local admin endpoint dmgcmd talks to: a Unix socket in the owner-only data dir (a named pipe on Windows),
/// never a TCP port. GET /status, POST /reload (identity changed, or a registration was refused), POST /stop.
/// </summary>
public static class AdminEndpoints
{
    public static void Map(WebApplication app)
    {
        // The relay's state too, for dmgcmd -Diagnose.
        app.MapGet("/status", (NodeState state, Interactive.InteractiveLink link) => Results.Json(state.Current with
        {
            RelayConnected = link.RelayConnected, RelayError = link.RelayError, SelfContainedInteractiveAuthoring = link.SelfContained,
        }, NodeJsonContext.Default.NodeStatusReport));
        app.MapPost("/reload", (IdentityWatch identities, NodeState state, Registration.RegistrationEvents events, Hosting.NodeDataDirectory dir) =>
        {
            var before = identities.Current;
            identities.Reload();
            events.Changed(before, identities.Current, Registration.LastRegistrationRecord.Load(dir));
            state.Bound(identities.Current);
            return Results.Json(state.Current, NodeJsonContext.Default.NodeStatusReport);
        });
        app.MapPost("/stop", (IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return Results.Accepted();
        });
    }
}
