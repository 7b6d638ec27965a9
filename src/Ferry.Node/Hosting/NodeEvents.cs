namespace Ferry.Node.Hosting;

/// <summary>
/// The node service's own events (the event log's 1xxx): started (with what it is bound to), stopping, registered, and
/// what the server says of its version. Ferry does not update a node by itself: these tell its operator when to.
/// </summary>
public static partial class NodeEvents
{
    [LoggerMessage(EventId = 1001, EventName = "ServiceStarted", Level = LogLevel.Information,
        Message = "ferry-node {Version} started with data dir {DataDir}: {Binding}")]
    public static partial void Started(ILogger logger, string version, string dataDir, string binding);

    [LoggerMessage(EventId = 1002, EventName = "ServiceStopping", Level = LogLevel.Information, Message = "ferry-node stopping")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = 1003, EventName = "Registered", Level = LogLevel.Information,
        Message = "Registered as node {NodeName} of runtime {Factory}/{Runtime} at {ServerUrl}")]
    public static partial void Registered(ILogger logger, string nodeName, string factory, string runtime, string serverUrl);

    [LoggerMessage(EventId = 1006, EventName = "RegistrationRefused", Level = LogLevel.Warning,
        Message = "The server at {ServerUrl} refused to register this node: {Reason}")]
    public static partial void RegistrationRefused(ILogger logger, string serverUrl, string reason);

    [LoggerMessage(EventId = 1004, EventName = "UpdateAvailable", Level = LogLevel.Information, Message = "Update available: {Cause}")]
    public static partial void UpdateAvailable(ILogger logger, string cause);

    [LoggerMessage(EventId = 1005, EventName = "VersionExpired", Level = LogLevel.Warning, Message = "Version expired: {Cause}")]
    public static partial void VersionExpired(ILogger logger, string cause);

}
