using Microsoft.Extensions.AI;

namespace DuckEmbed.Processor.Pipeline;

/// <summary>
/// One window's trip through the generator, each distinct text embedded once. <see cref="Plan"/> runs in window
/// order and decides where each row's vector comes from: the generator, an earlier row of the window with the same
/// text, or a recent window's (<see cref="RecentVectors"/>) — embedded already or still with the generator.
/// <see cref="EmbedAsync"/> may then run while later windows are planned and embedded: so the generator can prepare
/// the next window (tokenize it) while its device still runs this one.
/// </summary>
internal sealed class WindowEmbedding
{
    private readonly RowWindow _window;
    private readonly RecentVectors _recent;
    private readonly List<string> _texts;
    // Per text given to the generator: where later windows read its vector, if the recent texts took it.
    private readonly List<RecentVectors.Entry?> _entries;
    // Per row: the text it takes its vector from (-1: none, its text is NULL or another window's).
    private readonly int[] _textOfRow;
    // Rows whose vector is a recent window's, each held in the recent texts until it is copied here.
    private readonly List<(int Row, RecentVectors.Entry Entry)> _fromOtherWindows;
    private readonly TaskCompletionSource _embedded;

    private WindowEmbedding(RowWindow window, RecentVectors recent)
    {
        _window = window;
        _recent = recent;
        _texts = new List<string>(window.Count);
        _entries = new List<RecentVectors.Entry?>(window.Count);
        _textOfRow = new int[window.Count];
        _fromOtherWindows = [];
        _embedded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public RowWindow Window => _window;

    /// <summary>Plans <paramref name="window"/>; call in window order, so that a text's first window embeds it.</summary>
    public static WindowEmbedding Plan(RowWindow window, RecentVectors recent)
    {
        var plan = new WindowEmbedding(window, recent);
        var firstRow = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < window.Count; i++)
        {
            plan._textOfRow[i] = -1;
            if (window.Texts[i] is not { } text)
            {
                continue;
            }
            if (firstRow.TryGetValue(text, out var slot))
            {
                plan._textOfRow[i] = slot;
                window.ReusedVectors++;
                continue;
            }
            var key = RecentVectors.Key(text);
            if (recent.TryGet(key, out var entry))
            {
                plan._fromOtherWindows.Add((i, entry));
                window.ReusedVectors++;
                continue;
            }
            firstRow[text] = plan._textOfRow[i] = plan._texts.Count;
            plan._texts.Add(text);
            plan._entries.Add(recent.Reserve(key, plan._embedded.Task));
        }
        return plan;
    }

    /// <summary>
    /// Embeds the window's texts and gives every row its vector, waiting for the windows it shares texts with. The
    /// vectors go into a block of <paramref name="blocks"/>: the generator's rows first (if it takes the block, see
    /// <see cref="EmbeddingJob.VectorDestinationKey"/>), then those copied from other windows.
    /// </summary>
    /// <param name="generator">The model.</param>
    /// <param name="vectors">What each vector must be before it is used.</param>
    /// <param name="blocks">Where the window's vectors are written.</param>
    /// <param name="cancellationToken">Stops the embedding.</param>
    public async Task EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> generator, VectorCheck vectors, VectorBlocks blocks,
        CancellationToken cancellationToken)
    {
        var block = blocks.Rent(_window);
        var dimensions = blocks.Dimensions;
        var taken = 0;
        try
        {
            if (_texts.Count > 0)
            {
                var options = block is null ? null : new EmbeddingGenerationOptions
                {
                    AdditionalProperties = new() { [EmbeddingJob.VectorDestinationKey] = block.AsMemory(0, _texts.Count * dimensions) },
                };
                var embeddings = await generator.GenerateAsync(_texts, options, cancellationToken).ConfigureAwait(false);
                Take(embeddings, vectors);
            }
            _embedded.SetResult();
            for (; taken < _fromOtherWindows.Count; taken++)
            {
                var (row, entry) = _fromOtherWindows[taken];
                await entry.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
                // The block's rows after the generator's; a generator whose metadata gives another length than its
                // vectors have gets a row of its own.
                Memory<float> vector = block is not null && _recent.Dimensions == dimensions
                    ? block.AsMemory((_texts.Count + taken) * dimensions, dimensions)
                    : new float[_recent.Dimensions];
                _recent.CopyTo(entry, vector.Span);
                _window.Vectors[row] = vector;
            }
        }
        catch (Exception e)
        {
            // Later windows waiting for these texts stop with it rather than wait forever (a no-op once they are
            // embedded), and the recent texts' slots Take has not filled are let go.
            _embedded.TrySetException(e);
            foreach (var entry in _entries)
            {
                if (entry is not null)
                {
                    _recent.Release(entry);
                }
            }
            throw;
        }
        finally
        {
            for (; taken < _fromOtherWindows.Count; taken++)
            {
                _recent.Release(_fromOtherWindows[taken].Entry);
            }
        }
    }

    private void Take(GeneratedEmbeddings<Embedding<float>> embeddings, VectorCheck vectors)
    {
        if (embeddings.Count != _texts.Count)
        {
            throw new InvalidOperationException($"The embedding generator returned {embeddings.Count} embeddings for {_texts.Count} texts.");
        }
        for (var j = 0; j < _texts.Count; j++)
        {
            vectors.Check(embeddings[j].Vector.Span, _texts[j]);
        }
        // Checked first: a window whose vectors are refused writes none of them into the recent texts.
        for (var j = 0; j < _texts.Count; j++)
        {
            if (_entries[j] is { } entry)
            {
                _entries[j] = null;
                _recent.Set(entry, embeddings[j].Vector.Span);
            }
        }
        for (var i = 0; i < _window.Count; i++)
        {
            if (_textOfRow[i] >= 0)
            {
                _window.Vectors[i] = embeddings[_textOfRow[i]].Vector;
            }
        }
        _window.Tokens = embeddings.Usage?.InputTokenCount ?? 0;
        _window.TruncatedTexts = embeddings.Usage?.AdditionalCounts?.TryGetValue(EmbeddingProcessor.TruncatedTextsUsageKey, out var cut) == true ? cut : 0;
    }
}
