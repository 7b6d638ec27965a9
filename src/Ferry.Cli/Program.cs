using System.CommandLine;
using Ferry.Cli.Commands;

var globals = new GlobalOptions();
var root = new RootCommand("ferry: the client for a Ferry control plane (ferry-server)");
globals.AddTo(root);
root.Subcommands.Add(IntegrationRuntimeCommands.Build(globals));
return await root.Parse(args).InvokeAsync();
