namespace DuckEmbed.Processor;

/// <summary>How far one shard is (<see cref="ShardMerger.Status"/>).</summary>
/// <param name="Index">The shard, from 0.</param>
/// <param name="Path">Its file.</param>
/// <param name="Exists">Whether the file is there yet.</param>
/// <param name="RowsDone">Rows of this shard the file holds.</param>
/// <param name="RowsExpected">Rows of this shard in the input.</param>
public sealed record ShardStatus(int Index, string Path, bool Exists, long RowsDone, long RowsExpected)
{
    /// <summary>Whether every row of the shard is done.</summary>
    public bool Complete => Exists && RowsDone == RowsExpected;
}
