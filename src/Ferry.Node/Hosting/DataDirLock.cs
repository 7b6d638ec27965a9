namespace Ferry.Node.Hosting;

/// <summary>Holds an exclusive lock on the data dir for the life of the process, so two nodes never share one identity.</summary>
public sealed class DataDirLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly NodeDataDirectory _dir;

    private DataDirLock(FileStream fileLock, NodeDataDirectory dir)
    {
        _lock = fileLock;
        _dir = dir;
    }

    public static DataDirLock Acquire(NodeDataDirectory dir)
    {
        try
        {
            // FileShare.None takes an OS lock (flock on Unix) that dies with the process, even on kill -9.
            var stream = new FileStream(dir.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(dir.PidFile, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new DataDirLock(stream, dir);
        }
        catch (IOException)
        {
            var pid = File.Exists(dir.PidFile) ? File.ReadAllText(dir.PidFile).Trim() : "unknown";
            throw new NodeSetupException(
                $"Another ferry-node (pid {pid}) is already running with data dir '{dir.Path}'; one node per data dir. " +
                "Stop it with `dmgcmd -Stop`, or give this one its own --data-dir.");
        }
    }

    public void Dispose()
    {
        try { File.Delete(_dir.PidFile); } catch (IOException) { }
        _lock.Dispose();
    }
}
