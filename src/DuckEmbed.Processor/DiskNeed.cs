using DuckEmbed.Processor.Database;
namespace DuckEmbed.Processor;

/// <summary>What a run needs beside its output, in bytes, and what is free there.</summary>
/// <param name="Folder">The output's folder.</param>
/// <param name="PerRow">Estimated bytes per output row.</param>
/// <param name="Output">The rows this run writes.</param>
/// <param name="WriteAheadLog">DuckDB's write-ahead log, at most.</param>
/// <param name="Spill">DuckDB's spill of the sorted input, at most.</param>
/// <param name="Free">Free space in <paramref name="Folder"/>.</param>
public sealed record DiskNeed(string Folder, long PerRow, long Output, long WriteAheadLog, long Spill, long Free)
{
    /// <summary>All of it.</summary>
    public long Total => Output + WriteAheadLog + Spill;

    /// <summary>Whether it fits in the free space.</summary>
    public bool Fits => Total <= Free;

    /// <summary>One clause: the total, its parts and the free space.</summary>
    public string Describe() =>
        $"{DiskSpace.Size(Total)} in {Folder} (the output {DiskSpace.Size(Output)}, {DiskSpace.Size(PerRow)} a row; DuckDB's write-ahead log up to " +
        $"{DiskSpace.Size(WriteAheadLog)}; its spill up to {DiskSpace.Size(Spill)}), and {DiskSpace.Size(Free)} is free there";
}
