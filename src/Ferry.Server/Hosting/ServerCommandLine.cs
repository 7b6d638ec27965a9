using System.Globalization;

namespace Ferry.Server.Hosting;

/// <summary>Reads ferry-server's command line into <see cref="ServerOptions"/> and the listen URLs; unknown flags are errors, not ignored.</summary>
public static class ServerCommandLine
{
    public const string Usage = """
        Usage: ferry-server [options]
          --data-dir DIR               where the SQLite store, admin token and key secret live (default: a per-user folder)
          --urls URL[;URL]             where to listen (default: http://127.0.0.1:8080)
          --public-url URL             the URL nodes use to reach this server, written into keys (default: the first of --urls)
          --relay-url URL              where nodes open their relay WebSocket (default: the public URL)
          --interactive-timeout SEC    how long a node has to answer test connection, browse, schema, preview (default 60)
          --job-lease SEC              how long a node holds a job between renewals before it is requeued (default 60)
          --database CONNSTRING        a PostgreSQL connection string (default: SQLite in the data dir)
          --heartbeat-interval SEC     seconds between node heartbeats (default 10)
          --missed-heartbeats N        missed heartbeats before a node is Offline (default 3)
          --max-nodes-per-runtime N    nodes a runtime may have (default 4)
          --clock-leeway SEC           tolerated clock difference with nodes (default 60)
          --signature-lifetime SEC     how long a node's signed request stays valid (default 300)
          --max-body-bytes N           largest request body accepted (default 1048576)
          --minimum-node-version V     the oldest ferry-node version given jobs; older nodes are Limited and Expired (default 0.1.0)
        Environment: FERRY_SERVER_DATA_DIR, FERRY_SERVER_DATABASE stand in for --data-dir and --database.
        """;

    public static (ServerOptions Options, string Urls) Parse(string[] args)
    {
        var options = new ServerOptions();
        if (Environment.GetEnvironmentVariable("FERRY_SERVER_DATA_DIR") is { Length: > 0 } envDir) options.DataDir = envDir;
        if (Environment.GetEnvironmentVariable("FERRY_SERVER_DATABASE") is { Length: > 0 } envDb) options.Database = envDb;
        var urls = "http://127.0.0.1:8080";
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value.");
            int Int() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"{flag} needs a whole number.");
            switch (flag)
            {
                case "--data-dir": options.DataDir = Path.GetFullPath(Value()); break;
                case "--urls": urls = Value(); break;
                case "--public-url": options.PublicUrl = Value().TrimEnd('/'); break;
                case "--database": options.Database = Value(); break;
                case "--relay-url": options.RelayUrl = Value().TrimEnd('/'); break;
                case "--interactive-timeout": options.InteractiveTimeoutSeconds = Int(); break;
                case "--job-lease": options.JobLeaseSeconds = Int(); break;
                case "--heartbeat-interval": options.HeartbeatIntervalSeconds = Int(); break;
                case "--missed-heartbeats": options.MissedHeartbeats = Int(); break;
                case "--max-nodes-per-runtime": options.MaxNodesPerRuntime = Int(); break;
                case "--clock-leeway": options.ClockLeewaySeconds = Int(); break;
                case "--signature-lifetime": options.SignatureLifetimeSeconds = Int(); break;
                case "--max-body-bytes": options.MaxRequestBodyBytes = Int(); break;
                case "--minimum-node-version":
                    var minimum = Value();
                    options.MinimumNodeVersion = Version.TryParse(minimum, out var parsed) && parsed.Build >= 0 ? parsed
                        : throw new ArgumentException($"--minimum-node-version needs a version like 0.2.0, not '{minimum}'.");
                    break;
                default: throw new ArgumentException($"Unknown option '{flag}'.");
            }
        }
        options.PublicUrl ??= urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0].TrimEnd('/');
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join(Environment.NewLine, problems));
        return (options, urls);
    }
}
