using Microsoft.Extensions.AI;

namespace DuckEmbed.Bench;

/// <summary>
/// A generator that costs nothing: the texts get the given real embeddings in turn (the reference set's 400). Their
/// floats compress as real output does; a constant or random vector would make DuckDB's float compression look
/// cheaper or dearer than it is.
/// </summary>
internal sealed class RecycledVectorGenerator(IReadOnlyList<float[]> vectors) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Embedding<float>[] _pool = [.. vectors.Select(v => new Embedding<float>(v))];

    private long _next;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values as IReadOnlyCollection<string> ?? values.ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            result.Add(_pool[_next++ % _pool.Length]);
        }
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
