namespace Ferry.Server.Auth;

/// <summary>Writes secrets to files only their owner can read (mode 0600 on Unix), whole or not at all.</summary>
public static class OwnerOnlyFile
{
    public static void WriteNew(string path, string content) => WriteNew(path, System.Text.Encoding.UTF8.GetBytes(content));

    public static void WriteNew(string path, byte[] content)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: false);
    }
}
