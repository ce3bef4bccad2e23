using System.Collections.Concurrent;

namespace DuckEmbed.Processor.Pipeline;

/// <summary>
/// The blocks a window's vectors are written into, one per window, given back once the window is written and reused
/// by a later one: the generator writes into them (<see cref="EmbeddingJob.VectorDestinationKey"/>) and the appender
/// reads them, so a run allocates a handful of blocks (the windows in flight), not one per window or per row.
/// </summary>
/// <param name="dimensions">The generator's vector length from its metadata; otherwise the first vectors' length.</param>
/// <param name="vectors">The vectors seen so far, for their length when the metadata says nothing.</param>
internal sealed class VectorBlocks(int? dimensions, VectorCheck vectors)
{
    // More than the windows a run has in flight at once; a block given back beyond them is left to the GC.
    private const int Kept = 8;

    private readonly ConcurrentQueue<float[]> _free = new();

    /// <summary>The vector length the blocks are made for; 0 while not known.</summary>
    public int Dimensions => dimensions ?? vectors.Dimensions;

    /// <summary>
    /// A block for every row of <paramref name="window"/>, kept on it until <see cref="Return"/>; <c>null</c> while the
    /// vector length is not known. A block given back is reused by any window it can hold (the last, shorter one too).
    /// </summary>
    public float[]? Rent(RowWindow window)
    {
        var length = (long)window.Count * Dimensions;
        if (length == 0 || length > Array.MaxLength)
        {
            return null;
        }
        while (_free.TryDequeue(out var block))
        {
            if (block.Length >= length)
            {
                return window.VectorBlock = block;
            }
        }
        return window.VectorBlock = new float[length];
    }

    /// <summary>Takes back the block of <paramref name="window"/>, whose vectors are written and no longer read.</summary>
    public void Return(RowWindow window)
    {
        if (window.VectorBlock is { } block && _free.Count < Kept)
        {
            _free.Enqueue(block);
        }
        window.VectorBlock = null;
    }
}
