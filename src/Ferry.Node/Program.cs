using Ferry.Node;
using Ferry.Node.Admin;
using Ferry.Node.Connection;
using Ferry.Node.Credentials;
using Ferry.Node.Heartbeats;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;

Ferry.Contracts.Hosting.InvariantCulture.Apply();

const string usage = """
    Usage: ferry-node [--data-dir DIR]
      --data-dir DIR   the node's identity and state (default: FERRY_NODE_DATA_DIR, else /var/lib/ferry-node or %ProgramData%\Ferry\Node)
    Register the node with `dmgcmd -RegisterNewNode "<key>"`; dmgcmd -Status shows what it is bound to.
    """;

string? dataDirArg = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--data-dir" when i + 1 < args.Length: dataDirArg = args[++i]; break;
        case "--help" or "-h": Console.WriteLine(usage); return 0;
        default:
            Console.Error.WriteLine($"ferry-node: unknown option '{args[i]}'.");
            Console.Error.WriteLine(usage);
            return 2;
    }
}

var dir = NodeDataDirectory.Resolve(dataDirArg);
DataDirLock dirLock;
try
{
    dir.Create();
    dirLock = DataDirLock.Acquire(dir);
}
catch (NodeSetupException e)
{
    Console.Error.WriteLine($"ferry-node: {e.Message}");
    return 1;
}

using (dirLock)
{
    var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
    builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss "; });
    builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
    builder.Logging.AddProvider(new Ferry.Events.EventLogFile(dir.Path));
    if (OperatingSystem.IsWindows())
        builder.Logging.AddEventLog(o => o.SourceName = "ferry-node");
    if (File.Exists(dir.AdminSocket))
        File.Delete(dir.AdminSocket); // left by a node that was killed; the lock proves no one uses it
    // Remote access (dmgcmd -EnableRemoteAccess) is read once at start: changing it takes a restart, as in the reference.
    Ferry.Node.Settings.RemoteAccessSettings? remoteAccess;
    System.Security.Cryptography.X509Certificates.X509Certificate2? remoteCertificate = null;
    try
    {
        remoteAccess = new Ferry.Node.Settings.NodeSettingsStore(dir).Load().RemoteAccess;
        if (remoteAccess is not null)
            remoteCertificate = Ferry.Node.Remote.RemoteCertificate.Load(remoteAccess.CertificatePath);
    }
    catch (NodeSetupException e)
    {
        Console.Error.WriteLine($"ferry-node: {e.Message}");
        return 1;
    }
    builder.WebHost.ConfigureKestrel(k =>
    {
        if (OperatingSystem.IsWindows())
            k.ListenNamedPipe(dir.AdminPipeName);
        else
            k.ListenUnixSocket(dir.AdminSocket);
        if (remoteAccess is not null)
            k.ListenAnyIP(remoteAccess.Port, listen => listen.UseHttps(remoteCertificate!));
    });
    builder.Services.AddSingleton(dir);
    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddSingleton<NodeIdentityStore>();
    builder.Services.AddSingleton<IdentityWatch>();
    builder.Services.AddSingleton<NodeState>();
    builder.Services.AddSingleton<SecretProtector>();
    builder.Services.AddSingleton<CredentialStore>();
    builder.Services.AddSingleton<ControlPlaneHttp>();
    builder.Services.AddSingleton(services => new Ferry.Node.Registration.RegistrationEvents(
        services.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Node.Service"), Ferry.Node.Registration.LastRegistrationRecord.Load(dir)));
    builder.Services.AddSingleton<ProxyDirectives>();
    builder.Services.AddSingleton<ServerClient>();
    builder.Services.AddSingleton<Ferry.Node.Settings.NodeSettingsStore>();
    builder.Services.AddSingleton(new Ferry.Node.Remote.RemoteAccessState(remoteAccess?.Port,
        remoteCertificate is null ? null : Ferry.Node.Remote.RemoteCertificate.Fingerprint(remoteCertificate)));
    builder.Services.AddSingleton<CredentialSync>();
    builder.Services.AddSingleton<CredentialOpener>();
    builder.Services.AddSingleton<Ferry.Node.Jobs.JobSlots>();
    builder.Services.AddHostedService<Ferry.Node.Jobs.JobRunner>();
    builder.Services.AddSingleton<Ferry.Node.Interactive.InteractiveLink>();
    builder.Services.AddSingleton<Ferry.Node.Interactive.InteractiveHandler>();
    builder.Services.AddHostedService<HeartbeatService>();
    builder.Services.AddHostedService<Ferry.Node.Interactive.RelayService>();
    builder.Services.AddHostedService<Ferry.Node.Interactive.InteractivePoller>();
    builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

    WebApplication app;
    try
    {
        app = builder.Build();
        _ = app.Services.GetRequiredService<IdentityWatch>();
    }
    catch (NodeSetupException e)
    {
        Console.Error.WriteLine($"ferry-node: {e.Message}");
        return 1;
    }
    Ferry.Node.Remote.RemoteAccessEndpoints.Isolate(app, remoteAccess?.Port);
    AdminEndpoints.Map(app);
    Ferry.Node.Remote.RemoteAccessEndpoints.Map(app);
    var serviceLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Node.Service");
    app.Lifetime.ApplicationStarted.Register(() =>
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(dir.AdminSocket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var identity = app.Services.GetRequiredService<IdentityWatch>().Current;
        NodeEvents.Started(serviceLog, NodeVersion.Current, dir.Path, identity is null
            ? "not registered yet. Run: dmgcmd -RegisterNewNode \"<key>\""
            : identity.ToString());
    });
    app.Lifetime.ApplicationStopping.Register(() => NodeEvents.Stopping(serviceLog));
    try
    {
        await app.RunAsync();
    }
    catch (IOException e) when (remoteAccess is not null)
    {
        Console.Error.WriteLine($"ferry-node: cannot listen for remote access on port {remoteAccess.Port}: {e.Message}. " +
                                "Choose another port with dmgcmd -EnableRemoteAccess \"<port>\", or turn it off with -DisableRemoteAccess.");
        return 1;
    }
    if (File.Exists(dir.AdminSocket))
        File.Delete(dir.AdminSocket);
}
return 0;
