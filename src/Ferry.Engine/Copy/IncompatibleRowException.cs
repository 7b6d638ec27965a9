using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>
/// A row the sink cannot take (a value that does not convert to its column's type), raised before any of the row is
/// written: the copy skips and logs it when enableSkipIncompatibleRow is on, and fails naming row, column and value otherwise.
/// </summary>
public sealed class IncompatibleRowException(string message) : Exception(message)
{
    public DataStoreException AsFailure() => new(ErrorCodes.InvalidData, Message, this);
}
