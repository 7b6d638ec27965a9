using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>
/// A file being written that turns "no space left on the device" into a copy error that says so and names the file
/// and the space left, instead of the operating system's bare message.
/// </summary>
internal sealed class DiskFullGuard(FileStream inner, string target) : Stream
{
    public static bool IsDiskFull(IOException e) =>
        // ENOSPC on Linux and macOS; ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL on Windows.
        e.HResult is 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Guard(() => inner.Write(buffer, offset, count));
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            inner.Write(buffer);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw Full();
        }
    }

    public override void Flush() => Guard(inner.Flush);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Guard(inner.Dispose);
        base.Dispose(disposing);
    }

    private void Guard(Action write)
    {
        try
        {
            write();
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw Full();
        }
    }

    private DataStoreException Full()
    {
        var folder = Path.GetDirectoryName(target)!;
        string free;
        try
        {
            free = $"{new DriveInfo(folder).AvailableFreeSpace / 1024:N0} KB free there";
        }
        catch (Exception probe) when (probe is IOException or UnauthorizedAccessException or ArgumentException)
        {
            free = "its free space unknown";
        }
        return new DataStoreException(ErrorCodes.DiskFull,
            $"disk full: no space left on the device of '{folder}' while writing '{target}' ({free}). " +
            "Free some space there or write the file elsewhere; nothing was committed and the partial file was removed.");
    }
}
