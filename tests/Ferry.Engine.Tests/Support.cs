using System.Text.Json.Nodes;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Tests;

internal static class Support
{
    public static EngineContext Context(NodeAccessPolicy policy) =>
        new(policy, _ => throw new InvalidOperationException("no credential key in these tests"), "test-host");

    public static Task<InteractiveResponse> RunAsync(NodeAccessPolicy policy, string operation, string linkedService, string? dataset = null,
        string? path = null, int rows = 0) =>
        InteractiveRunner.RunAsync(new InteractiveRequest(Guid.NewGuid(), operation, JsonNode.Parse(linkedService)!.AsObject(),
            dataset is null ? null : JsonNode.Parse(dataset)!.AsObject(), path, rows), Context(policy), CancellationToken.None);

    public static string Json(object value) => System.Text.Json.JsonSerializer.Serialize(value);

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A folder removed when the test ends.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ferry-engine-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
