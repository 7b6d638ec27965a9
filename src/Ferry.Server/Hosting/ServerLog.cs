namespace Ferry.Server.Hosting;

/// <summary>The server's start-up log lines.</summary>
public static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "ferry-server {Version} listening on {Urls}, store {Store}, data dir {DataDir}")]
    public static partial void Started(ILogger logger, string version, string urls, string store, string dataDir);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Created the admin API token in {Path} (readable only by you); pass it as --token or FERRY_TOKEN")]
    public static partial void TokenCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Admin API token: {Path}")]
    public static partial void TokenExisting(ILogger logger, string path);
}
