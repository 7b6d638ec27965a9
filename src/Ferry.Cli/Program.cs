using System.CommandLine;
using Ferry.Cli.Commands;

var globals = new GlobalOptions();
var root = new RootCommand("ferry: the client for a Ferry control plane (ferry-server)");
globals.AddTo(root);
root.Subcommands.Add(IntegrationRuntimeCommands.Build(globals));
root.Subcommands.Add(FactoryResourceCommands.Build(globals, "linked-service", "linkedservices", "linked service"));
root.Subcommands.Add(FactoryResourceCommands.Build(globals, "dataset", "datasets", "dataset"));
root.Subcommands.Add(FactoryResourceCommands.Build(globals, "pipeline", "pipelines", "pipeline"));
return await root.Parse(args).InvokeAsync();
