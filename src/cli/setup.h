/* setup: what several commands do first: load the data sets and the model the config names,
 * and check that they fit together. */
#ifndef CS_CLI_SETUP_H
#define CS_CLI_SETUP_H

#include "data/data.h"
#include "io/config.h"
#include "io/model_file.h"
#include "nn/nn.h"

/* Load a split of the configured data set. */
int setup_data(const cs_config *cfg, int split, data_set *d, cs_error *err);

/* The model of the config: model.file when given (checked against the data set's image
 * shape and classes), else a fresh model.arch / model.width initialised from train.seed. */
int setup_model(const cs_config *cfg, const data_set *d, nn_net *net, model_meta *meta,
                cs_error *err);

/* Build a fresh model of model.arch / model.width for the data set. */
int setup_fresh_model(const cs_config *cfg, const data_set *d, nn_net *net, model_meta *meta,
                      cs_error *err);

#endif
