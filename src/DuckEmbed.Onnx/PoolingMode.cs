namespace DuckEmbed.Onnx;

/// <summary>How token vectors become one sentence vector, as a model's <c>1_Pooling/config.json</c> says.</summary>
public enum PoolingMode
{
    /// <summary>The mean over the text's tokens (<c>pooling_mode_mean_tokens</c>).</summary>
    Mean,

    /// <summary>The first token's vector, <c>[CLS]</c> (<c>pooling_mode_cls_token</c>).</summary>
    Cls,

    /// <summary>The largest value of each dimension over the text's tokens (<c>pooling_mode_max_tokens</c>).</summary>
    Max,
}
