using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Devices;

/// <summary>A session and the device number it runs on (0 on the CPU).</summary>
internal readonly record struct DeviceSession(InferenceSession Session, int DeviceId);
