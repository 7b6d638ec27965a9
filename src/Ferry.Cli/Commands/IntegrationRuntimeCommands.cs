using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ferry.Cli.Commands;

/// <summary>`ferry ir ...`, shaped like `az datafactory integration-runtime`.</summary>
public static class IntegrationRuntimeCommands
{
    public static Command Build(GlobalOptions g)
    {
        var ir = new Command("ir", "Manage integration runtimes (as `az datafactory integration-runtime`)");
        var name = new Option<string>("--name", "-n") { Description = "The integration runtime's name", Required = true };

        var type = new Option<string>("--type") { Description = "SelfHosted (default) or Managed", DefaultValueFactory = _ => "SelfHosted" };
        var description = new Option<string?>("--description") { Description = "A description" };
        var selfContained = new Option<bool?>("--self-contained-interactive-authoring")
        {
            Description = "true: interactive authoring (test connection, preview) goes over the nodes' ordinary channel, not the relay",
        };
        var approval = new Option<bool?>("--require-node-approval")
        {
            Description = "true: a joining node gets the credential key only after `dmgcmd -ApproveNode <fingerprint>` on a node that holds it",
        };
        var create = new Command("create", "Create or replace an integration runtime") { name, type, description, selfContained, approval };
        create.SetAction((p, ct) => g.RunAsync(p, (api, c) =>
        {
            var properties = new JsonObject { ["type"] = p.GetValue(type) };
            if (p.GetValue(description) is { } d) properties["description"] = d;
            var typeProperties = new JsonObject();
            if (p.GetValue(selfContained) is { } enabled)
                typeProperties["selfContainedInteractiveAuthoringEnabled"] = enabled;
            if (p.GetValue(approval) is { } required)
                typeProperties["nodeApprovalRequired"] = required;
            if (typeProperties.Count > 0)
                properties["typeProperties"] = typeProperties;
            return api.SendAsync(HttpMethod.Put, api.RuntimePath(p.GetValue(name)), new JsonObject { ["properties"] = properties }, c);
        }, ct));
        ir.Subcommands.Add(create);

        ir.Subcommands.Add(Simple(g, "show", "Show an integration runtime", name, HttpMethod.Get, ""));
        var list = new Command("list", "List the factory's integration runtimes");
        list.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Get, api.RuntimePath(), null, c), ct));
        ir.Subcommands.Add(list);

        var autoUpdate = new Option<string?>("--auto-update") { Description = "On or Off" };
        autoUpdate.AcceptOnlyFromAmong("On", "Off");
        var delay = new Option<string?>("--update-delay-offset") { Description = "The hour of the day for updates, as an ISO 8601 duration (PT3H)" };
        var updateDescription = new Option<string?>("--description") { Description = "A new description" };
        var update = new Command("update", "Update auto-update settings or the description") { name, autoUpdate, delay, updateDescription };
        update.SetAction((p, ct) => g.RunAsync(p, (api, c) =>
        {
            var body = new JsonObject();
            if (p.GetValue(autoUpdate) is { } a) body["autoUpdate"] = a;
            if (p.GetValue(delay) is { } o) body["updateDelayOffset"] = o;
            if (p.GetValue(updateDescription) is { } d) body["description"] = d;
            if (body.Count == 0)
                throw new Connection.CliException("Nothing to update: give --auto-update, --update-delay-offset or --description.");
            return api.SendAsync(HttpMethod.Patch, api.RuntimePath(p.GetValue(name)), body, c);
        }, ct));
        ir.Subcommands.Add(update);

        var delete = new Command("delete", "Delete an integration runtime and unregister its nodes") { name };
        delete.SetAction((p, ct) => g.RunAsync(p, async (api, c) =>
        {
            await api.SendAsync(HttpMethod.Delete, api.RuntimePath(p.GetValue(name)), null, c);
            return null;
        }, ct));
        ir.Subcommands.Add(delete);

        ir.Subcommands.Add(Simple(g, "list-auth-key", "Show the runtime's two authentication keys", name, HttpMethod.Post, "/listAuthKeys"));

        var keyName = new Option<string>("--key-name") { Description = "authKey1 or authKey2", Required = true };
        keyName.AcceptOnlyFromAmong("authKey1", "authKey2");
        var regenerate = new Command("regenerate-auth-key", "Replace one key; nodes already registered keep working") { name, keyName };
        regenerate.SetAction((p, ct) => g.RunAsync(p, (api, c) =>
            api.SendAsync(HttpMethod.Post, api.RuntimePath(p.GetValue(name)) + "/regenerateAuthKey", new JsonObject { ["keyName"] = p.GetValue(keyName) }, c), ct));
        ir.Subcommands.Add(regenerate);

        ir.Subcommands.Add(Simple(g, "get-status", "Show the runtime's state and its nodes", name, HttpMethod.Post, "/getStatus"));
        ir.Subcommands.Add(Simple(g, "get-monitoring-data", "Show each node's load from its last heartbeat", name, HttpMethod.Post, "/monitoringData"));
        ir.Subcommands.Add(Simple(g, "get-connection-info", "Show where nodes connect and the runtime's credential key", name, HttpMethod.Post, "/getConnectionInfo"));
        ir.Subcommands.Add(Simple(g, "sync-credentials", "Make nodes that lack the credential key get it sealed anew", name, HttpMethod.Post, "/syncCredentials"));

        var limit = new Option<int>("--limit") { Description = "How many of the latest changes to show", DefaultValueFactory = _ => 50 };
        var history = new Command("status-history", "Show the recorded status changes of the runtime and its nodes, with causes") { name, limit };
        history.SetAction((p, ct) => g.RunAsync(p, (api, c) =>
            api.SendAsync(HttpMethod.Get, api.RuntimePath(p.GetValue(name)) + $"/statusEvents?limit={p.GetValue(limit)}", null, c), ct));
        ir.Subcommands.Add(history);

        ir.Subcommands.Add(NodeCommands(g, name));
        return ir;
    }

    private static Command NodeCommands(GlobalOptions g, Option<string> name)
    {
        var node = new Command("node", "Manage a runtime's nodes (as `az datafactory integration-runtime-node`)");
        var nodeName = new Option<string>("--node-name") { Description = "The node's name", Required = true };
        string NodePath(Connection.ApiClient api, ParseResult p) =>
            api.RuntimePath(p.GetValue(name)) + "/nodes/" + Uri.EscapeDataString(p.GetValue(nodeName)!);

        var show = new Command("show", "Show a node") { name, nodeName };
        show.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Get, NodePath(api, p), null, c), ct));
        node.Subcommands.Add(show);

        var limit = new Option<int>("--concurrent-jobs-limit") { Description = "Jobs the node may run at once (1..maxConcurrentJobs)", Required = true };
        var update = new Command("update", "Change a node's concurrent jobs limit") { name, nodeName, limit };
        update.SetAction((p, ct) => g.RunAsync(p, (api, c) =>
            api.SendAsync(HttpMethod.Patch, NodePath(api, p), new JsonObject { ["concurrentJobsLimit"] = p.GetValue(limit) }, c), ct));
        node.Subcommands.Add(update);

        var delete = new Command("delete", "Remove a node from the runtime; it shows NeedRegistration") { name, nodeName };
        delete.SetAction((p, ct) => g.RunAsync(p, async (api, c) =>
        {
            await api.SendAsync(HttpMethod.Delete, NodePath(api, p), null, c);
            return null;
        }, ct));
        node.Subcommands.Add(delete);

        var proxy = new Option<string>("--proxy") { Description = "none, system, or host:port of an HTTP proxy", Required = true };
        var proxyUser = new Option<string?>("--proxy-user") { Description = "The proxy's user" };
        var proxyPassword = new Option<string?>("--proxy-password") { Description = "The proxy's password (or FERRY_PROXY_PASSWORD); sealed here to the runtime's credential key" };
        var bypass = new Option<string?>("--bypass") { Description = "Hosts reached without the proxy: host,*.domain" };
        var setProxy = new Command("set-proxy", "Send a node its proxy setting (as dmgcmd -SetProxy on the node); it tries the new path before it keeps it")
        {
            name, nodeName, proxy, proxyUser, proxyPassword, bypass,
        };
        setProxy.SetAction((p, ct) => g.RunAsync(p, async (api, c) =>
        {
            var text = p.GetValue(proxy)!;
            var body = new JsonObject();
            if (text is "none" or "system")
                body["mode"] = text;
            else
            {
                var at = text.LastIndexOf(':');
                if (at <= 0 || !int.TryParse(text[(at + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
                    throw new Connection.CliException($"--proxy '{text}' is not none, system or host:port (e.g. proxy.corp.local:3128). Nothing was sent.");
                body["mode"] = "custom";
                body["address"] = text[..at];
                body["port"] = port;
                if (p.GetValue(proxyUser) is { } user) body["user"] = user;
                if (p.GetValue(bypass) is { } hosts)
                    body["bypass"] = new JsonArray(hosts.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(h => (JsonNode)h).ToArray());
                if ((p.GetValue(proxyPassword) ?? Environment.GetEnvironmentVariable("FERRY_PROXY_PASSWORD")) is { Length: > 0 } password)
                {
                    // Sealed as a linked service's password is: the server only ever holds the envelope.
                    var secret = new JsonObject { ["password"] = new JsonObject { ["type"] = "SecureString", ["value"] = password } };
                    var info = await api.SendAsync(HttpMethod.Post, api.RuntimePath(p.GetValue(name)) + "/getConnectionInfo", null, c);
                    if (info?["publicKey"]?.GetValue<string>() is not { } publicKey || info["publicKeyVersion"]?.GetValue<int>() is not { } version
                        || info["runtimeId"]?.GetValue<Guid>() is not { } runtimeId)
                        throw new Connection.CliException("The runtime has no credential key yet to seal the password to; register a node first. Nothing was sent.");
                    Ferry.Contracts.Credentials.SecretSealer.Seal(secret, Convert.FromBase64String(publicKey), version, runtimeId);
                    body["encryptedPassword"] = secret["encryptedCredential"]!.GetValue<string>();
                }
            }
            return await api.SendAsync(HttpMethod.Put, NodePath(api, p) + "/proxy", body, c);
        }, ct));
        node.Subcommands.Add(setProxy);

        var ip = new Command("get-ip-address", "Show the address the node's heartbeats come from") { name, nodeName };
        ip.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Post, NodePath(api, p) + "/ipAddress", null, c), ct));
        node.Subcommands.Add(ip);
        return node;
    }

    private static Command Simple(GlobalOptions g, string verb, string description, Option<string> name, HttpMethod method, string suffix)
    {
        var command = new Command(verb, description) { name };
        command.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(method, api.RuntimePath(p.GetValue(name)) + suffix, null, c), ct));
        return command;
    }
}
