using Ferry.Node.Hosting;

namespace Ferry.Node.Tests;

public class NodeDataDirectoryTests
{
    [Fact]
    public void The_command_line_wins_over_the_environment_which_wins_over_the_default()
    {
        var previous = Environment.GetEnvironmentVariable(NodeDataDirectory.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(NodeDataDirectory.EnvironmentVariable, "/tmp/from-env");
            Assert.Equal("/tmp/from-flag", NodeDataDirectory.Resolve("/tmp/from-flag").Path);
            Assert.Equal("/tmp/from-env", NodeDataDirectory.Resolve(null).Path);
            Environment.SetEnvironmentVariable(NodeDataDirectory.EnvironmentVariable, null);
            Assert.Equal(Path.GetFullPath(NodeDataDirectory.DefaultPath()), NodeDataDirectory.Resolve(null).Path);
        }
        finally
        {
            Environment.SetEnvironmentVariable(NodeDataDirectory.EnvironmentVariable, previous);
        }
    }

    [Fact]
    public void The_default_is_machine_wide()
    {
        Assert.Equal(OperatingSystem.IsWindows() ? @"Ferry\Node" : "/var/lib/ferry-node",
            OperatingSystem.IsWindows() ? NodeDataDirectory.DefaultPath()[^10..] : NodeDataDirectory.DefaultPath());
    }

    [Fact]
    public void The_data_dir_is_created_readable_only_by_its_owner()
    {
        var dir = new NodeDataDirectory(Path.Combine(Path.GetTempPath(), "ferry-node-test-" + Guid.NewGuid().ToString("N")));
        try
        {
            dir.Create();
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.Path));
        }
        finally
        {
            Directory.Delete(dir.Path, recursive: true);
        }
    }

    [Fact]
    public void A_second_lock_on_the_same_data_dir_is_refused_naming_the_first_pid()
    {
        var dir = new NodeDataDirectory(Path.Combine(Path.GetTempPath(), "ferry-node-test-" + Guid.NewGuid().ToString("N")));
        dir.Create();
        try
        {
            using var first = DataDirLock.Acquire(dir);
            var e = Assert.Throws<NodeSetupException>(() => DataDirLock.Acquire(dir));
            Assert.Contains($"pid {Environment.ProcessId}", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir.Path, recursive: true);
        }
    }
}
