namespace Ferry.Node.Hosting;

/// <summary>The node service's own events (the event log's 1xxx): started (with what it is bound to) and stopping.</summary>
public static partial class NodeEvents
{
    [LoggerMessage(EventId = 1001, EventName = "ServiceStarted", Level = LogLevel.Information,
        Message = "ferry-node {Version} started with data dir {DataDir}: {Binding}")]
    public static partial void Started(ILogger logger, string version, string dataDir, string binding);

    [LoggerMessage(EventId = 1002, EventName = "ServiceStopping", Level = LogLevel.Information, Message = "ferry-node stopping")]
    public static partial void Stopping(ILogger logger);

}
