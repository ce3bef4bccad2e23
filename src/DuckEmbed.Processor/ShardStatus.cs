namespace DuckEmbed.Processor;

/// <summary>How far one shard is (<see cref="ShardMerger.Status"/>).</summary>
/// <param name="Index">The shard, from 0.</param>
/// <param name="Path">Its file.</param>
/// <param name="Exists">Whether the file is there yet.</param>
/// <param name="RowsDone">Rows of this shard the file holds.</param>
/// <param name="RowsExpected">Rows of this shard in the input.</param>
public sealed record ShardStatus(int Index, string Path, bool Exists, long RowsDone, long RowsExpected)
{
    /// <summary>Another process has the file open for writing (the shard is running): its rows cannot be counted now.</summary>
    public bool Running { get; init; }

    /// <summary>What the file holds that is not this shard's rows of the input (a swapped or stale file); <c>null</c> if nothing.</summary>
    public string? Problem { get; init; }

    /// <summary>Whether every row of the shard is done, and nothing else is there.</summary>
    public bool Complete => Exists && !Running && Problem is null && RowsDone == RowsExpected;
}
