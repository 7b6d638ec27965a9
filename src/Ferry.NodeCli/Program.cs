using System.Globalization;
using Ferry.Contracts.Keys;
using Ferry.Node.Admin;
using Ferry.Node.Backup;
using Ferry.Node.Connection;
using Ferry.Node.Credentials;
using Ferry.Node.Heartbeats;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;
using Ferry.Node.Registration;
using Ferry.NodeCli.Actions;

Ferry.Contracts.Hosting.InvariantCulture.Apply();

// dmgcmd ACTION args... [--data-dir DIR], as the reference's dmgcmd: actions are case-insensitive, long or short.
string? dataDirArg = null;
var rest = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--data-dir" && i + 1 < args.Length) dataDirArg = args[++i];
    else rest.Add(args[i]);
}

if (rest.Count == 0 || rest[0] is "-?" or "-h" or "--help" or "-help" or "/?")
{
    PrintUsage(Console.Out);
    return rest.Count == 0 ? 2 : 0;
}

var action = DmgAction.Find(rest[0]);
if (action is null)
{
    Console.Error.WriteLine($"dmgcmd: unknown action '{rest[0]}'.");
    PrintUsage(Console.Error);
    return 2;
}
if (!action.Available)
{
    Console.Error.WriteLine($"dmgcmd: -{action.Long} is not available yet in Ferry.");
    return 3;
}

var dir = NodeDataDirectory.Resolve(dataDirArg);
using var admin = new AdminClient(dir);
var identities = new NodeIdentityStore(dir);
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
var ct = cts.Token;

try
{
    switch (action.Long)
    {
        case "RegisterNewNode":
        {
            var key = Argument(1, "the authentication key");
            var name = rest.Count > 2 ? rest[2] : null;
            dir.Create();
            if (identities.Load() is { } current)
                throw new NodeSetupException($"This node is already registered as {current}. To join another runtime, use -Key \"<key>\"; " +
                                             "to start over, delete the node on the server and its identity.json.");
            return await RegisterAsync(key, name, keepKeyOf: null);
        }
        case "Key":
        {
            var key = Argument(1, "the authentication key");
            dir.Create();
            return await RegisterAsync(key, null, identities.Load() ?? identities.LoadRemoved());
        }
        case "Start": return await new ServiceControl(dir, admin, Console.Out).StartAsync(ct);
        case "Stop": return await new ServiceControl(dir, admin, Console.Out).StopAsync(ct);
        case "Restart": return await new ServiceControl(dir, admin, Console.Out).RestartAsync(ct);
        case "CheckGatewayConnection":
        {
            var status = await admin.StatusAsync(ct);
            var state = status?.State ?? "NotRunning";
            Console.WriteLine(state);
            return state == ConnectionState.Connected ? 0 : 1;
        }
        case "Status": return await StatusAsync();
        case "Diagnose": return await DiagnoseAsync(networkOnly: false);
        case "SetProxy": return SetProxy();
        case "Events": return Events();
        case "SendLogs": return await SendLogsAsync();
        case "GetProxy":
            Console.WriteLine((new Ferry.Node.Settings.NodeSettingsStore(dir).Load().Proxy ?? ProxySettings.Default).Describe());
            return 0;
        case "CheckConnectivity" or "CheckConnectivityToServiceBus": return await DiagnoseAsync(networkOnly: true);
        case "EnableLocalMachineAccess": return ChangeSettings(s => s with { LocalMachineAccess = true }, "Local machine access is on: linked services may connect to this machine itself.");
        case "DisableLocalMachineAccess": return ChangeSettings(s => s with { LocalMachineAccess = false }, "Local machine access is off: connections to this machine itself are refused.");
        case "EnableLocalFolderPathValidation": return ChangeSettings(s => s with { LocalFolderPathValidation = true }, "Local folder path validation is on: only allowed folders can be reached.");
        case "DisableLocalFolderPathValidation": return ChangeSettings(s => s with { LocalFolderPathValidation = false }, "Local folder path validation is off: linked services may reach any path the service account can.");
        case "AllowLocalFolder":
        {
            var folder = Path.GetFullPath(Argument(1, "a folder"));
            if (!Directory.Exists(folder))
                throw new NodeSetupException($"'{folder}' is not a folder on this machine; create it first. Nothing was changed.");
            return ChangeSettings(s => s with { AllowedLocalFolders = s.Folders.Contains(folder) ? s.Folders : [.. s.Folders, folder] }, $"Allowed local folder '{folder}'.");
        }
        case "RemoveLocalFolder":
        {
            var folder = Path.GetFullPath(Argument(1, "a folder"));
            return ChangeSettings(s => s.Folders.Contains(folder)
                ? s with { AllowedLocalFolders = s.Folders.Where(f => f != folder).ToList() }
                : throw new NodeSetupException($"'{folder}' is not an allowed folder ({(s.Folders.Count == 0 ? "none are" : string.Join(", ", s.Folders))}). Nothing was changed."),
                $"'{folder}' is no longer allowed.");
        }
        case "EnableRemoteAccess" or "EnableRemoteAccessInContainer": return EnableRemoteAccess(action.Long == "EnableRemoteAccessInContainer");
        case "DisableRemoteAccess": return ChangeSettings(s => s with { RemoteAccess = null }, "Remote access is off; restart the node to close the port (dmgcmd -Restart).");
        case "ApproveNode":
        {
            var fingerprint = Ferry.Contracts.Credentials.NodeFingerprint.Normalize(Argument(1, "the joining node's fingerprint (dmgcmd -Status on that node)"));
            if (fingerprint.Length == 0)
                throw new NodeSetupException("That is not a node fingerprint: 40 hex digits, as `dmgcmd -Status` shows it on the joining node (3F2A-91C0-...). Nothing was changed.");
            return ChangeSettings(s => s with { ApprovedNodes = s.Approved.Contains(fingerprint) ? s.Approved : [.. s.Approved, fingerprint] },
                $"Approved node {fingerprint}: this node hands it the credential key at its next heartbeat.");
        }
        case "EnableNodeApproval": return ChangeSettings(s => s with { NodeApprovalRequired = true }, "Node approval is on: the credential key goes only to nodes approved here.");
        case "DisableNodeApproval": return ChangeSettings(s => s with { NodeApprovalRequired = false },
            "Node approval is off here (the runtime may turn it on again): the credential key goes to any node that proves its identity.");
        case "GenerateBackupFile": return GenerateBackup(Argument(1, "the backup file's path"), Argument(2, "a password"));
        case "ImportBackupFile": return await ImportBackupAsync(Argument(1, "the backup file's path"), Argument(2, "its password"));
        default:
            Console.Error.WriteLine($"dmgcmd: -{action.Long} is not available yet in Ferry.");
            return 3;
    }
}
catch (AuthKeyFormatException e) { return Fail(e.Message); }
catch (ServerProblemException e) { return Fail(e.Message); }
catch (HttpRequestException e) { return Fail(e.Message + ". Check that the server is up and reachable from this machine."); }
catch (NodeSetupException e) { return Fail(e.Message); }
catch (UnauthorizedAccessException e) { return Fail($"{e.Message} Run dmgcmd as the node's service account, or pass --data-dir."); }
catch (OperationCanceledException) { return Fail("cancelled."); }

async Task<int> RegisterAsync(string key, string? name, NodeIdentity? keepKeyOf)
{
    using var http = ControlPlane();
    var registrar = new NodeRegistrar(new ServerClient(http, TimeProvider.System), identities,
        new CredentialStore(dir, new SecretProtector(dir)), TimeProvider.System);
    NodeIdentity identity;
    try
    {
        identity = await registrar.RegisterAsync(key, name, keepKeyOf, ct);
    }
    catch (ServerProblemException e)
    {
        // Kept for -Diagnose (which names "key rotated" from it); the key itself is not written.
        var refusal = new LastRegistrationRecord(DateTimeOffset.UtcNow, AuthKey.Parse(key).ServerUrl, e.Code, e.Message);
        refusal.Save(dir);
        if (await admin.ReloadAsync(ct) is null)
            WriteRegistrationEvent(null, refusal);
        throw;
    }
    LastRegistrationRecord.Clear(dir);
    Console.WriteLine($"Registered node '{identity.NodeName}' to integration runtime '{identity.Runtime}' of factory '{identity.Factory}' at {identity.ServerUrl}.");
    if (await admin.ReloadAsync(ct) is not null)
    {
        Console.WriteLine("The running node service picked up its new identity.");
    }
    else
    {
        WriteRegistrationEvent(identity, null);
        Console.WriteLine($"Start the node service: dmgcmd -Start{(dataDirArg is null ? "" : $" --data-dir \"{dir.Path}\"")}");
    }
    return 0;
}

// With no node service running, dmgcmd writes the registration to the node's event log itself (the service does otherwise).
void WriteRegistrationEvent(NodeIdentity? registered, LastRegistrationRecord? refusal)
{
    using var log = new Ferry.Events.EventLogFile(dir.Path);
    new RegistrationEvents(log.CreateLogger("Ferry.Node.Service"), null).Changed(null, registered, refusal);
}

async Task<int> StatusAsync()
{
    var live = await admin.StatusAsync(ct);
    var identity = identities.Load();
    var removed = identity is null ? identities.LoadRemoved() : null;
    NodeStatusReport? last = live;
    if (last is null && File.Exists(dir.StatusFile))
        last = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllBytes(dir.StatusFile), Ferry.Node.NodeJsonContext.Default.NodeStatusReport);

    var now = DateTimeOffset.UtcNow;
    string Ago(DateTimeOffset? t) => t is { } v ? $"{v.ToLocalTime():yyyy-MM-dd HH:mm:ss} ({(now - v).TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)} s ago)" : "never";
    Console.WriteLine($"Data dir:        {dir.Path}");
    if (identity is not null)
    {
        Console.WriteLine($"Node:            {identity.NodeName}");
        Console.WriteLine($"Runtime:         {identity.Runtime} (factory {identity.Factory})");
        Console.WriteLine($"Server:          {identity.ServerUrl}");
        Console.WriteLine($"Fingerprint:     {Ferry.Contracts.Credentials.NodeFingerprint.Of(identity.PublicKey())} (approve it on another node with dmgcmd -ApproveNode when the runtime requires it)");
    }
    else
    {
        Console.WriteLine(removed is null
            ? "Node:            not registered (NeedRegistration): run dmgcmd -RegisterNewNode \"<key>\""
            : $"Node:            removed from runtime {removed.Runtime} (factory {removed.Factory}) (NeedRegistration): register again with dmgcmd -RegisterNewNode \"<key>\"");
    }
    Console.WriteLine($"Service:         {(live is null ? "not running (start it with dmgcmd -Start)" : $"running (pid {live.ProcessId}, version {live.Version})")}");
    Console.WriteLine($"Connection:      {(live is null ? ConnectionState.Stopped : live.State)}");
    Console.WriteLine($"Last heartbeat:  {Ago(last?.LastHeartbeat)}");
    var settings = new Ferry.Node.Settings.NodeSettingsStore(dir).Load();
    Console.WriteLine($"Folder access:   {(settings.LocalFolderPathValidation ? settings.Folders.Count == 0 ? "validated; no folder allowed (dmgcmd -AllowLocalFolder \"<folder>\")" : "validated; allowed: " + string.Join(", ", settings.Folders) : "not validated (any path)")}");
    Console.WriteLine($"Node approval:   {(settings.NodeApprovalRequired ? settings.Approved.Count == 0 ? "required; none approved yet" : "required; approved: " + string.Join(", ", settings.Approved) : "not required")}");
    Console.WriteLine($"Remote access:   {(settings.RemoteAccess is { } remote ? $"TLS port {remote.Port}, certificate {remote.CertificatePath}" : "off (dmgcmd -EnableRemoteAccess turns it on)")}");
    Console.WriteLine($"Local machine:   {(settings.LocalMachineAccess ? "reachable (dmgcmd -dlma turns it off)" : "refused (dmgcmd -elma allows it)")}");
    Console.WriteLine($"Last error:      {(last?.LastError is { } error ? $"{error} (at {last.LastErrorAt?.ToLocalTime():yyyy-MM-dd HH:mm:ss})" : "none")}");
    return 0;
}

async Task<int> SendLogsAsync()
{
    var identity = identities.Load() ?? throw new NodeSetupException("This node is not registered, so it has no control plane to send logs to. Register it: dmgcmd -RegisterNewNode \"<key>\".");
    // The newest 600 KB: the event log (oldest first), then the service log when dmgcmd -Start wrote one.
    const int Budget = 600 * 1024;
    var text = new System.Text.StringBuilder();
    foreach (var file in Ferry.Events.EventLogFile.Files(dir.Path).Append(dir.LogFile).Where(File.Exists))
        text.Append("==> ").Append(Path.GetFileName(file)).Append(" <==\n").Append(File.ReadAllText(file)).Append('\n');
    var all = text.ToString();
    var logs = Ferry.Contracts.Logs.LogRedactor.Redact(all.Length > Budget ? all[^Budget..] : all);
    using var http = ControlPlane();
    var stored = await new ServerClient(http, TimeProvider.System).SendSupportLogsAsync(identity, logs, ct);
    Console.WriteLine($"Sent {stored.Bytes / 1024.0:F0} KB of this node's logs (secrets redacted) to {identity.ServerUrl}.");
    Console.WriteLine($"Support log id: {stored.Id} (read it with: ferry support-log show --id {stored.Id})");
    return 0;
}

int Events()
{
    var sinceText = rest.IndexOf("--since") is var flag and >= 0 && flag + 1 < rest.Count ? rest[flag + 1] : null;
    DateTimeOffset? since = null;
    if (sinceText is not null)
    {
        var units = new Dictionary<char, TimeSpan> { ['s'] = TimeSpan.FromSeconds(1), ['m'] = TimeSpan.FromMinutes(1), ['h'] = TimeSpan.FromHours(1), ['d'] = TimeSpan.FromDays(1) };
        if (sinceText.Length > 1 && units.TryGetValue(sinceText[^1], out var unit) && double.TryParse(sinceText[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var count))
            since = DateTimeOffset.UtcNow - unit * count;
        else if (DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var time))
            since = time;
        else
            throw new NodeSetupException($"--since '{sinceText}' is neither a span (30m, 2h, 1d) nor a time (2026-12-02T08:00).");
    }
    var json = rest.Contains("--json");
    var shown = 0;
    foreach (var file in Ferry.Events.EventLogFile.Files(dir.Path))
    {
        foreach (var line in File.ReadLines(file))
        {
            System.Text.Json.Nodes.JsonNode? entry;
            try { entry = System.Text.Json.Nodes.JsonNode.Parse(line); }
            catch (System.Text.Json.JsonException) { continue; } // a line cut short by a crash
            var at = DateTimeOffset.Parse(entry!["time"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            if (since is { } from && at < from)
                continue;
            shown++;
            Console.WriteLine(json ? line : $"{at.ToLocalTime():yyyy-MM-dd HH:mm:ss}  {entry["level"],-11}  {entry["id"],4}  {entry["message"]}");
        }
    }
    if (shown == 0 && !json)
        Console.Error.WriteLine($"No events{(since is null ? "" : $" since {since.Value.ToLocalTime():yyyy-MM-dd HH:mm:ss}")} in {dir.Path}.");
    return 0;
}

int SetProxy()
{
    var positional = new List<string>();
    string? bypassText = null;
    var httpDataStores = false;
    for (var i = 1; i < rest.Count; i++)
    {
        if (rest[i] == "--bypass" && i + 1 < rest.Count) bypassText = rest[++i];
        else if (rest[i] == "--http-data-stores") httpDataStores = true;
        else positional.Add(rest[i]);
    }
    if (positional.Count == 0)
        throw new NodeSetupException("-SetProxy needs none, system, or \"<host>:<port>\" [\"<user>\"] [\"<password>\"]. Nothing was changed.");
    var bypass = bypassText?.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    ProxySettings proxy;
    switch (positional[0].ToLowerInvariant())
    {
        case ProxySettings.None or ProxySettings.System when positional.Count == 1:
            proxy = new ProxySettings(positional[0].ToLowerInvariant(), HttpDataStores: httpDataStores);
            break;
        default:
        {
            var address = positional[0].Contains("://", StringComparison.Ordinal) ? positional[0] : "http://" + positional[0];
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.IsDefaultPort && !positional[0].EndsWith(":80", StringComparison.Ordinal)
                || uri.AbsolutePath != "/" || positional.Count > 3)
                throw new NodeSetupException($"'{string.Join(' ', positional)}' is not a proxy: give none, system, or \"<host>:<port>\" [\"<user>\"] [\"<password>\"] " +
                                             "(an HTTP proxy, e.g. proxy.corp.local:3128). Nothing was changed.");
            var user = positional.Count > 1 ? positional[1] : null;
            var password = positional.Count > 2 ? positional[2] : Environment.GetEnvironmentVariable("FERRY_PROXY_PASSWORD");
            if (user is null && password is not null && positional.Count > 2)
                throw new NodeSetupException("A proxy password needs a user. Nothing was changed.");
            dir.Create();
            var sealedPassword = user is null || string.IsNullOrEmpty(password) ? null
                : Convert.ToBase64String(new SecretProtector(dir).Protect(System.Text.Encoding.UTF8.GetBytes(password)));
            proxy = new ProxySettings(ProxySettings.Custom, uri.Host, uri.Port, user, sealedPassword, bypass, httpDataStores);
            break;
        }
    }
    var store = new Ferry.Node.Settings.NodeSettingsStore(dir);
    dir.Create();
    store.Save(store.Load() with { Proxy = proxy });
    Console.WriteLine($"Proxy set: {proxy.Describe()}. A running node takes it for its next call (its connections and relay start again through it).");
    return 0;
}

// dmgcmd's calls to the control plane go the way the node's do: through its proxy setting.
ControlPlaneHttp ControlPlane() =>
    new(new Ferry.Node.Settings.NodeSettingsStore(dir).Load().Proxy ?? ProxySettings.Default, new SecretProtector(dir));

async Task<int> DiagnoseAsync(bool networkOnly)
{
    string? Option(string flag) => rest.IndexOf(flag) is var i and >= 0 && i + 1 < rest.Count ? rest[i + 1] : null;
    using var http = ControlPlane();
    var diagnosis = new Ferry.Node.Diagnostics.NodeDiagnosis(dir, admin, identities, http, new ServerClient(http, TimeProvider.System), TimeProvider.System);
    var report = await diagnosis.RunAsync(networkOnly, Option("--runtime"), Option("--factory"), ct);
    if (rest.Contains("--json"))
    {
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, Ferry.Node.NodeJsonContext.Default.DiagnosisReport));
        return report.Passed ? 0 : 1;
    }
    Console.WriteLine(networkOnly
        ? $"Connectivity of the node on {dir.Path} to its control plane:"
        : $"Diagnosis of the node on {dir.Path}, in the order of the IR-offline table:");
    foreach (var check in report.Checks)
        Console.WriteLine($"  {check.Status.ToUpperInvariant(),-4}  {check.Name,-17} {check.Evidence}");
    var first = report.Checks.FirstOrDefault(c => c.Name == report.FirstFailure);
    if (first is not null)
        Console.WriteLine($"First failing check: {first.Name}. Fix: {first.Fix}");
    else
        Console.WriteLine("Every check passed." + string.Concat(report.Checks.Where(c => c.Status == "warn").Select(c => $"{Environment.NewLine}Warning ({c.Name}): {c.Fix}")));
    return report.Passed ? 0 : 1;
}

int EnableRemoteAccess(bool inContainer)
{
    var portText = rest.Count > 1 ? rest[1] : "8060";
    if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        throw new NodeSetupException($"'{portText}' is not a port (1..65535). Nothing was changed.");
    dir.Create();
    var certificatePath = rest.Count > 2 ? Path.GetFullPath(rest[2]) : Ferry.Node.Remote.RemoteCertificate.CreateSelfSigned(dir);
    string fingerprint;
    using (var certificate = Ferry.Node.Remote.RemoteCertificate.Load(certificatePath))
        fingerprint = Ferry.Node.Remote.RemoteCertificate.Fingerprint(certificate);
    var token = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    var settings = new Ferry.Node.Settings.NodeSettingsStore(dir);
    settings.Save(settings.Load() with
    {
        RemoteAccess = new Ferry.Node.Settings.RemoteAccessSettings(port, certificatePath, Ferry.Node.Remote.RemoteAccessEndpoints.HashToken(token), inContainer),
    });
    Console.WriteLine($"Remote access is on: TLS on port {port}{(inContainer ? " (publish it from the container)" : "")}, certificate {certificatePath}.");
    Console.WriteLine($"Certificate SHA-256: {fingerprint}");
    Console.WriteLine($"Remote access token (shown once, keep it safe): {token}");
    Console.WriteLine("Restart the node to open the port (dmgcmd -Restart). Encrypt a credential from the local network with:");
    Console.WriteLine($"  ferry linked-service encrypt-credential --file ls.json --node https://{Environment.MachineName}:{port} --node-token <token> --node-certificate {fingerprint}");
    return 0;
}

int ChangeSettings(Func<Ferry.Node.Settings.NodeSettings, Ferry.Node.Settings.NodeSettings> change, string done)
{
    dir.Create();
    var settings = new Ferry.Node.Settings.NodeSettingsStore(dir);
    settings.Save(change(settings.Load()));
    Console.WriteLine($"{done} The running node applies it to its next request.");
    return 0;
}

int GenerateBackup(string path, string password)
{
    var identity = identities.Load() ?? throw new NodeSetupException("This node is not registered: there is nothing to back up.");
    var credentials = new CredentialStore(dir, new SecretProtector(dir));
    BackupCredential? credential = null;
    if (credentials.Load() is { } material && material.RuntimeId == identity.RuntimeId)
    {
        using var key = credentials.OpenPrivateKey(material);
        credential = new BackupCredential(material.RuntimeId, material.Version, Convert.ToBase64String(key.ExportPkcs8PrivateKey()));
    }
    var full = Path.GetFullPath(path);
    if (File.Exists(full))
        throw new NodeSetupException($"'{full}' already exists; choose another path or delete it first. Nothing was written.");
    OwnerOnlyFile.Write(full, NodeBackup.Create(identity, credential, password), overwrite: false);
    Console.WriteLine($"Wrote a backup of {identity}{(credential is null ? " (no credential key held yet)" : $", with its {credential}")} to {full}.");
    return 0;
}

async Task<int> ImportBackupAsync(string path, string password)
{
    var full = Path.GetFullPath(path);
    if (!File.Exists(full))
        throw new NodeSetupException($"There is no backup file at '{full}'.");
    var content = NodeBackup.Open(File.ReadAllBytes(full), password);
    if (identities.Load() is { } current && current.NodeId != content.Identity.NodeId)
        throw new NodeSetupException($"This machine is registered as {current}; importing would replace it. Use a fresh --data-dir, " +
                                     "or delete the other node on the server and this data dir's identity.json first. Nothing was changed.");
    dir.Create();
    identities.Save(content.Identity);
    if (content.Credential is { } credential)
    {
        using var key = System.Security.Cryptography.ECDiffieHellman.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(credential.PrivateKey), out _);
        new CredentialStore(dir, new SecretProtector(dir)).Save(credential.RuntimeId, credential.Version, key);
    }
    Console.WriteLine($"Restored {content.Identity}{(content.Credential is null ? "" : $" with its {content.Credential}")}.");
    if (await admin.ReloadAsync(ct) is not null)
        Console.WriteLine("The running node service picked up the restored identity.");
    else
        Console.WriteLine($"Start the node service: dmgcmd -Start{(dataDirArg is null ? "" : $" --data-dir \"{dir.Path}\"")}");
    return 0;
}

string Argument(int index, string what) =>
    rest.Count > index && !string.IsNullOrWhiteSpace(rest[index])
        ? rest[index]
        : throw new NodeSetupException($"-{action.Long} needs {what}: dmgcmd -{action.Long} {action.Arguments}");

static int Fail(string message)
{
    Console.Error.WriteLine($"dmgcmd: {message}");
    return 1;
}

static void PrintUsage(TextWriter w)
{
    w.WriteLine("Usage: dmgcmd ACTION args... [--data-dir DIR]");
    w.WriteLine("The data dir is --data-dir, else FERRY_NODE_DATA_DIR, else the machine's default (as ferry-node).");
    w.WriteLine();
    foreach (var a in DmgAction.All)
    {
        var names = a.Short == a.Long ? $"-{a.Long}" : $"-{a.Short}, -{a.Long}";
        w.WriteLine($"  {names,-42} {a.Arguments}");
        w.WriteLine($"      {a.Description}{(a.Available ? "" : " (not available yet)")}");
    }
}
