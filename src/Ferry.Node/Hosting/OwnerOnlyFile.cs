namespace Ferry.Node.Hosting;

/// <summary>Writes the node's secret-bearing files: readable only by the service account (0600 on Unix), whole or not at all.</summary>
public static class OwnerOnlyFile
{
    /// <param name="overwrite">False refuses to replace an existing file (a backup, a protector key).</param>
    public static void Write(string path, ReadOnlySpan<byte> content, bool overwrite = true)
    {
        if (!overwrite && File.Exists(path))
            throw new IOException($"'{path}' already exists.");
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite);
    }
}
