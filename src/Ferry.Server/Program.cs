using Ferry.Contracts.Problems;
using Ferry.Server.Api;
using Ferry.Server.Auth;
using Ferry.Server.Credentials;
using Ferry.Server.Errors;
using Ferry.Server.FactoryResources;
using Ferry.Server.Hosting;
using Ferry.Server.IntegrationRuntimes;
using Ferry.Server.Keys;
using Ferry.Server.Nodes;
using Ferry.Server.Store;

Ferry.Contracts.Hosting.InvariantCulture.Apply();

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(ServerCommandLine.Usage);
    return 0;
}

ServerOptions options;
string urls;
try
{
    (options, urls) = ServerCommandLine.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"ferry-server: {e.Message}");
    Console.Error.WriteLine(ServerCommandLine.Usage);
    return 2;
}
Ferry.Server.Nodes.NodeStatusRules.Configure(options.MinimumNodeVersion);

try
{
    Directory.CreateDirectory(options.DataDir);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"ferry-server: cannot create the data dir '{options.DataDir}': {e.Message}. Pass --data-dir with a folder you can write.");
    return 1;
}

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.WebHost.UseUrls(urls);
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss "; });
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Logging.AddProvider(new Ferry.Events.EventLogFile(options.DataDir));
if (OperatingSystem.IsWindows())
    builder.Logging.AddEventLog(o => o.SourceName = "ferry-server");

SqlDialect dialect = options.Database is { Length: > 0 } cs ? new PostgresDialect(cs) : new SqliteDialect(Path.Combine(options.DataDir, "ferry.db"));
var store = new SqlFerryStore(dialect);
var adminToken = AdminToken.LoadOrCreate(options.DataDir);
var keySecret = ServerKeySecret.LoadOrCreate(options.DataDir);

builder.Services.AddSingleton(options);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<IFerryStore>(store);
builder.Services.AddSingleton(new AuthKeyIssuer(keySecret, options.PublicUrl!));
builder.Services.AddSingleton<RequestBody>();
builder.Services.AddSingleton<StatusRecorder>();
builder.Services.AddSingleton<NodeAuthenticator>();
builder.Services.AddSingleton<NodeRegistrationService>();
builder.Services.AddSingleton<HeartbeatReceiver>();
builder.Services.AddSingleton<HeartbeatGate>();
builder.Services.AddSingleton<IntegrationRuntimeService>();
builder.Services.AddSingleton<FactoryResourceService>();
builder.Services.AddSingleton<LinkedServiceSecrets>();
builder.Services.AddSingleton<CredentialSyncService>();
builder.Services.AddSingleton<CredentialRotationService>();
builder.Services.AddSingleton<Ferry.Server.Interactive.InteractiveDispatcher>();
builder.Services.AddSingleton<Ferry.Server.Interactive.InteractiveService>();
builder.Services.AddSingleton<Ferry.Server.Jobs.JobSignals>();
builder.Services.AddSingleton<Ferry.Server.Runs.RunOrchestrator>();
builder.Services.AddSingleton<Ferry.Server.Runs.CopySplits>();
builder.Services.AddSingleton<Ferry.Server.Metrics.ServerMetrics>();
builder.Services.AddSingleton(new Ferry.Server.Alerts.WebhookSeal(keySecret));
builder.Services.AddSingleton<Ferry.Server.Alerts.AlertRuleService>();
builder.Services.AddHostedService<Ferry.Server.Alerts.AlertMonitor>();
builder.Services.AddSingleton<Ferry.Server.Runs.RunService>();
builder.Services.AddSingleton<Ferry.Server.Jobs.JobService>();
builder.Services.AddHostedService<Ferry.Server.Jobs.JobSweeper>();
if (options.Database is { Length: > 0 } database)
    builder.Services.AddHostedService(services => new Ferry.Server.Jobs.PostgresJobBus(database, services.GetRequiredService<Ferry.Server.Jobs.JobSignals>(),
        services.GetRequiredService<ILogger<Ferry.Server.Jobs.PostgresJobBus>>()));
builder.Services.AddHostedService<Ferry.Server.Jobs.ManagedWorker>();
builder.Services.AddHostedService<NodeStatusMonitor>();

var app = builder.Build();
var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Server");

try
{
    await store.MigrateAsync(CancellationToken.None);
    await store.EnsureFactoryAsync("default", TimeProvider.System.GetUtcNow(), CancellationToken.None);
}
catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or ArgumentException)
{
    Console.Error.WriteLine($"ferry-server: cannot open the {dialect.Name} store: {e.Message}");
    Console.Error.WriteLine(options.Database is null ? $"Check that '{options.DataDir}' is writable." : "Check --database: host, port, user, password and database name.");
    return 1;
}

app.UseStatusCodePages(async context =>
{
    // Answers the framework produces without a body (a query value that does not parse, mostly) get a problem document too.
    var http = context.HttpContext;
    var status = http.Response.StatusCode;
    await ProblemWriter.WriteAsync(http, status, status == 400 ? ErrorCodes.InvalidProperty : ErrorCodes.NotFound,
        $"{http.Request.Method} {http.Request.Path}{http.Request.QueryString} was refused ({status}): check the path, the method and the " +
        "query values against docs/api.md.");
});
app.Use(app.Services.GetRequiredService<Ferry.Server.Metrics.ServerMetrics>().Middleware);
app.UseMiddleware<ProblemWriter>();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });
app.UseWhen(c => c.Request.Path.StartsWithSegments("/factories") || c.Request.Path.StartsWithSegments("/metrics"), b => b.Use(next => adminToken.Guard(next)));
app.MapGet("/health", () => Results.Text("ok"));
Ferry.Server.Metrics.MetricsEndpoint.Map(app);
Ferry.Server.Alerts.AlertEndpoints.Map(app);
ManagementEndpoints.Map(app);
FactoryResourceEndpoints.Map(app);
NodeGatewayEndpoints.Map(app);
InteractiveEndpoints.Map(app);
RunEndpoints.Map(app);
app.MapFallback((HttpContext c) => ProblemWriter.WriteAsync(c, 404, ErrorCodes.NotFound,
    $"There is no {c.Request.Method} {c.Request.Path} on this server. Runtimes live under /factories/{{factory}}/integrationRuntimes."));

app.Lifetime.ApplicationStarted.Register(() =>
{
    ServerLog.Started(log, IntegrationRuntimeService.ServerVersion, string.Join(", ", app.Urls), dialect.Name, options.DataDir);
    if (adminToken.Created)
        ServerLog.TokenCreated(log, adminToken.Path);
    else
        ServerLog.TokenExisting(log, adminToken.Path);
});

try
{
    await app.RunAsync();
}
catch (IOException e)
{
    Console.Error.WriteLine($"ferry-server: cannot listen on {urls}: {e.Message}. Pick another port with --urls.");
    return 1;
}
return 0;
