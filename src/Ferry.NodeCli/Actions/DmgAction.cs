namespace Ferry.NodeCli.Actions;

/// <summary>One dmgcmd action: its short and long names (the reference's table), its arguments and whether Ferry has it yet.</summary>
public sealed record DmgAction(string Short, string Long, string Arguments, string Description, bool Available = true)
{
    public bool Matches(string flag)
    {
        var name = flag.TrimStart('-', '/');
        return string.Equals(name, Short, StringComparison.OrdinalIgnoreCase) || string.Equals(name, Long, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The reference's actions, plus -Status; those not built yet say so instead of pretending.</summary>
    public static readonly IReadOnlyList<DmgAction> All =
    [
        new("rn", "RegisterNewNode", "\"<AuthenticationKey>\" [\"<NodeName>\"]", "Register this machine as a node of the runtime the key belongs to."),
        new("k", "Key", "\"<AuthenticationKey>\"", "Re-register this node with another key, keeping its name and identity."),
        new("s", "Start", "", "Start the node service."),
        new("t", "Stop", "", "Stop the node service (the server shows it Offline at once)."),
        new("r", "Restart", "", "Restart the node service."),
        new("cgc", "CheckGatewayConnection", "", "Print 'Connected' when the node is connected to its control plane (a container health check)."),
        new("st", "Status", "", "Show what the node is bound to, its connection, last heartbeat and last error."),
        new("d", "Diagnose", "[--json] [--runtime <name>] [--factory <name>]",
            "Walk the IR-offline table on this host: service, DNS, TCP, TLS, proxy, identity, relay, version, clock, disk, memory, high availability; print each check and the fix for the first failure (exit 0 when none fails)."),
        new("ev", "Events", "[--since 30m|2h|1d|<time>] [--json]",
            "Print the node's event log (service start and stop, connections made and lost with their cause, proxy and auth refusals, jobs), oldest first (Ferry)."),
        new("sl", "SendLogs", "", "Send the node's recent event log and service log (secrets redacted) to its control plane for support; prints the id they are kept under."),
        new("sp", "SetProxy", "none | system | \"<host>:<port>\" [\"<user>\"] [\"<password>\"] [--bypass \"<host>,*.<domain>\"] [--http-data-stores]",
            "How the node reaches its control plane: directly, through the system's proxy (HTTP(S)_PROXY, NO_PROXY; the default), or a proxy of its own (the password stored encrypted; FERRY_PROXY_PASSWORD instead of the argument keeps it off the command line); --http-data-stores lets HTTP linked services use it too (Ferry)."),
        new("gp", "GetProxy", "", "Show the node's proxy setting, never its password (Ferry)."),
        new("cc", "CheckConnectivity", "[--json]", "Only the network part of -Diagnose: DNS, TCP, TLS, proxy and relay to the control plane."),
        new("CheckConnectivityToServiceBus", "CheckConnectivityToServiceBus", "[--json]", "The same as -CheckConnectivity (the reference's name, for scripts written for it)."),
        new("era", "EnableRemoteAccess", "\"<port>\" [\"<certificate.pfx|.pem>\"]", "Open a TLS port (8060) for encrypt-credential and direct node-to-node credential sync."),
        new("erac", "EnableRemoteAccessInContainer", "\"<port>\" [\"<certificate.pfx|.pem>\"]", "The same, inside a container (publish the port)."),
        new("dra", "DisableRemoteAccess", "", "Close the remote access port (the default)."),
        new("gbf", "GenerateBackupFile", "\"<filePath>\" \"<password>\"", "Write a backup of the node identity and credential key, encrypted under the password."),
        new("ibf", "ImportBackupFile", "\"<filePath>\" \"<password>\"", "Restore the node (on this or a new machine) from a backup file."),
        new("sus", "StartUpgradeService", "", "Start the upgrade service.", Available: false),
        new("tus", "StopUpgradeService", "", "Stop the upgrade service.", Available: false),
        new("tonau", "TurnOnAutoUpdate", "", "Turn on auto-update.", Available: false),
        new("toffau", "TurnOffAutoUpdate", "", "Turn off auto-update.", Available: false),
        new("ssa", "SwitchServiceAccount", "\"<domain\\user>\" [\"<password>\"]", "Run the service as another account.", Available: false),
        new("elma", "EnableLocalMachineAccess", "", "Let database and HTTP linked services reach this machine (localhost and its own addresses)."),
        new("dlma", "DisableLocalMachineAccess", "", "Refuse connections to this machine itself (the default)."),
        new("DisableLocalFolderPathValidation", "DisableLocalFolderPathValidation", "", "Let FileServer and Sqlite linked services reach any path on this machine."),
        new("EnableLocalFolderPathValidation", "EnableLocalFolderPathValidation", "", "Allow only the folders given with -AllowLocalFolder (the default)."),
        new("alf", "AllowLocalFolder", "\"<folder>\"", "Let linked services read and write under this folder while validation is on (Ferry)."),
        new("an", "ApproveNode", "\"<fingerprint>\"", "Let this node hand the runtime's credential key to the joining node with this fingerprint (Ferry)."),
        new("EnableNodeApproval", "EnableNodeApproval", "", "Hand the credential key only to nodes approved here (Ferry; set by the runtime's nodeApprovalRequired too)."),
        new("DisableNodeApproval", "DisableNodeApproval", "", "Hand the credential key to any node of the runtime that proves its identity (Ferry)."),
        new("rlf", "RemoveLocalFolder", "\"<folder>\"", "Take a folder off the allowed list (Ferry)."),
        new("eesp", "EnableExecuteSsisPackage", "", "Enable SSIS package execution.", Available: false),
        new("desp", "DisableExecuteSsisPackage", "", "Disable SSIS package execution.", Available: false),
        new("gesp", "GetExecuteSsisPackage", "", "Show whether SSIS package execution is enabled.", Available: false),
    ];

    public static DmgAction? Find(string flag) => All.FirstOrDefault(a => a.Matches(flag));
}
