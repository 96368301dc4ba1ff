// Arena rules, season 1: every move scores one point.
module.exports = {
  version: 'v1',
  pointsForMove() {
    return 1;
  },
};
