using Ferry.Node.Heartbeats;

namespace Ferry.Node.Admin;

/// <summary>
/// The local admin endpoint dmgcmd talks to: a Unix socket in the owner-only data dir (a named pipe on Windows),
/// never a TCP port. GET /status, POST /reload (identity changed), POST /stop.
/// </summary>
public static class AdminEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/status", (NodeState state) => Results.Json(state.Current, NodeJsonContext.Default.NodeStatusReport));
        app.MapPost("/reload", (IdentityWatch identities, NodeState state) =>
        {
            identities.Reload();
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
