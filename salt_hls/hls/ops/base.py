"""Shared machinery of the SAL-T hls4ml layers: a Layer base whose types come from the
hls4ml configuration (filled from salt_hls.model.precision), and template classes that render
one config struct and one call per layer through a single named-substitution mechanism."""

from __future__ import annotations

import numpy as np
from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
from hls4ml.model.attributes import ConfigurableAttribute, TypeAttribute
from hls4ml.model.layers import Layer


class SaltLayer(Layer):
    """A SAL-T operation in hls4ml's graph.

    TYPES: names of internal types; each is read from the layer's hls4ml config ('Precision'
    entry of that name), becoming attribute '<name>_t' for the config struct.
    WEIGHTS: names of constant arrays that the handler passes as '<name>_data'; each gets
    the precision of its config entry and is written to firmware/weights.
    """

    TYPES: tuple[str, ...] = ()
    WEIGHTS: tuple[str, ...] = ()
    _expected_attributes = [ConfigurableAttribute("reuse_factor", default=1)]  # noqa: RUF012 - hls4ml's convention

    def output_shape(self) -> list[int]:
        raise NotImplementedError

    def initialize(self):
        for t in self.TYPES:
            self._set_type_t(t)
        self.add_output_variable(self.output_shape())
        for w in self.WEIGHTS:
            precision, _ = self.model.config.get_precision(self, var=w)
            self.add_weights_variable(
                name=w, var_name=f"{w}{{index}}", data=np.asarray(self.get_attr(f"{w}_data")), precision=precision
            )

    def config_params(self) -> dict:
        """Extra values for the config struct (beyond attributes)."""
        return {}


def type_attributes(*names: str) -> list:
    return [TypeAttribute(n) for n in names]


# convert --products (salt_hls.settings.PRODUCT_IMPLS) -> the class of hls_templates/salt_product.h
PRODUCT_CLASSES = {
    "auto": "nnet::salt_product::automatic",
    "dsp": "nnet::salt_product::dsp",
    "fabric": "nnet::salt_product::fabric",
}
PRODUCT_CONFIG_LINE = "    template <class x_T, class y_T> using product = {product}<x_T, y_T>;\n"


def products_attribute() -> ConfigurableAttribute:
    """The 'Products' configuration entry (written by salt_hls.hls.convert.hls_config) of a layer that multiplies data
    by data: its config names a product class."""
    return ConfigurableAttribute("products", value_type=str, default="auto")


def has_products(layer_cls) -> bool:
    return any(a.name == "products" for a in layer_cls.expected_attributes)


def product_param(node) -> dict:
    return {"product": PRODUCT_CLASSES[node.get_attr("products")]}


def make_templates(layer_cls, config_template: str, call_template: str, header: str):
    """Config and function-call template classes for one SAL-T layer class.

    Placeholders: every layer attribute ({n_particles}, {accum_t.name}, ...), {index},
    {reuse}, {config}, {output_t}, {output}, {input<i>_t} and {input<i>} per input (1-based),
    and {<weight>} for each weight array name.
    """

    class ConfigTemplate(LayerConfigTemplate):
        def __init__(self):
            super().__init__(layer_cls)
            self.template = config_template

        def format(self, node):
            params = self._default_config_params(node)
            params.update(node.config_params())
            return self.template.format(**params)

    class CallTemplate(FunctionCallTemplate):
        def __init__(self):
            super().__init__(layer_cls, include_header=[f"nnet_utils/{header}"])
            self.template = call_template

        def format(self, node):
            params = self._default_function_params(node)
            for i, name in enumerate(node.inputs, start=1):
                var = node.get_input_variable(name)
                params[f"input{i}_t"], params[f"input{i}"] = var.type.name, var.name
            for w in node.WEIGHTS:
                params[w] = node.get_weights(w).name
            return self.template.format(**params)

    ConfigTemplate.__name__ = f"{layer_cls.__name__}ConfigTemplate"
    CallTemplate.__name__ = f"{layer_cls.__name__}FunctionTemplate"
    return ConfigTemplate, CallTemplate


def keras_layer_object(data_reader, name: str):
    """The live Keras layer (conversion always starts from a model object, so weights are
    computed by the layer's own quantizers, never re-derived)."""
    model = getattr(data_reader, "model", None)
    if model is None:
        raise TypeError("salt-hls converts from a Keras model object (salt_hls.convert), not from a file reader")
    return model.get_layer(name)


def base_layer_dict(keras_layer: dict, input_names, class_name: str) -> dict:
    return {"class_name": class_name, "name": keras_layer["config"]["name"], "inputs": input_names}
