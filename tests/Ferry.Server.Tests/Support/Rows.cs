using Ferry.Contracts.Resources;
using Ferry.Server.Store;

namespace Ferry.Server.Tests.Support;

/// <summary>Rows for tests, with every field a plausible value.</summary>
public static class Rows
{
    public static RuntimeRow Runtime(string name, DateTimeOffset at, string factory = "default") => new(
        Guid.NewGuid(), factory, name, IntegrationRuntimeType.SelfHosted, "{\"type\":\"SelfHosted\"}", "\"e1\"", at, "On", null,
        1, "HASH1", 1, "HASH2", RuntimeState.NeedRegistration);

    public static NodeRow Node(Guid runtimeId, string name, DateTimeOffset at) => new(
        Guid.NewGuid(), runtimeId, name, "machine-" + name, "PUBLICKEY", "0.1.0", at, at, null, null, null, false, 4, 8, 2, 8192, "Linux",
        0, 0, 0, 0, 0, "10.0.0.1", null, NodeStatus.Initializing);
}
