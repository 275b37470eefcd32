// Snowball stemmers, from the npm package snowball-stemmers 0.6.0 (a JavaScript build of
// the Snowball algorithms, https://github.com/mazko/jssnowball); see LICENSE beside this file.
// Cut into one script per language by tools/vendor_snowball.py.
(function (shared) {
    'use strict';
    var _typeof = shared._typeof;
    var _possibleConstructorReturn = shared._possibleConstructorReturn;
    var _inherits = shared._inherits;
    var _classCallCheck = shared._classCallCheck;
    var _createClass = shared._createClass;
    var _get = shared._get;
    var StringBuffer = shared.StringBuffer;
    var StringBuilder = shared.StringBuilder;
    var Among = shared.Among;
    var SnowballProgram = shared.SnowballProgram;
    var SnowballStemmer = shared.SnowballStemmer;

    var irishStemmer = function (_SnowballStemmer13) {
        _inherits(irishStemmer, _SnowballStemmer13);

        function irishStemmer() {
            _classCallCheck(this, irishStemmer);

            return _possibleConstructorReturn(this, Object.getPrototypeOf(irishStemmer).apply(this, arguments));
        }

        _createClass(irishStemmer, [{
            key: 'r_mark_regions$esjava$0',
            value: function r_mark_regions$esjava$0() {
                var v_1 = undefined;
                var v_3 = undefined;
                this.I_pV = this.limit;
                this.I_p1 = this.limit;
                this.I_p2 = this.limit;
                v_1 = this.cursor;

                lab0: do {
                    golab1: while (true) {
                        lab2: do {
                            if (!this.in_grouping$esjava$3(irishStemmer.g_v, 97, 250)) {
                                break lab2;
                            }

                            break golab1;
                        } while (false);

                        if (this.cursor >= this.limit) {
                            break lab0;
                        }

                        this.cursor++;
                    }

                    this.I_pV = this.cursor;
                } while (false);

                this.cursor = v_1;
                v_3 = this.cursor;

                lab3: do {
                    golab4: while (true) {
                        lab5: do {
                            if (!this.in_grouping$esjava$3(irishStemmer.g_v, 97, 250)) {
                                break lab5;
                            }

                            break golab4;
                        } while (false);

                        if (this.cursor >= this.limit) {
                            break lab3;
                        }

                        this.cursor++;
                    }

                    golab6: while (true) {
                        lab7: do {
                            if (!this.out_grouping$esjava$3(irishStemmer.g_v, 97, 250)) {
                                break lab7;
                            }

                            break golab6;
                        } while (false);

                        if (this.cursor >= this.limit) {
                            break lab3;
                        }

                        this.cursor++;
                    }

                    this.I_p1 = this.cursor;

                    golab8: while (true) {
                        lab9: do {
                            if (!this.in_grouping$esjava$3(irishStemmer.g_v, 97, 250)) {
                                break lab9;
                            }

                            break golab8;
                        } while (false);

                        if (this.cursor >= this.limit) {
                            break lab3;
                        }

                        this.cursor++;
                    }

                    golab10: while (true) {
                        lab11: do {
                            if (!this.out_grouping$esjava$3(irishStemmer.g_v, 97, 250)) {
                                break lab11;
                            }

                            break golab10;
                        } while (false);

                        if (this.cursor >= this.limit) {
                            break lab3;
                        }

                        this.cursor++;
                    }

                    this.I_p2 = this.cursor;
                } while (false);

                this.cursor = v_3;
                return true;
            }
        }, {
            key: 'r_initial_morph$esjava$0',
            value: function r_initial_morph$esjava$0() {
                var among_var = undefined;
                this.bra = this.cursor;
                among_var = this.find_among$esjava$1(irishStemmer.a_0);

                if (among_var === 0) {
                    return false;
                }

                this.ket = this.cursor;

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        this.slice_del$esjava$0();
                        break;

                    case 2:
                        this.slice_del$esjava$0();
                        break;

                    case 3:
                        this.slice_from$esjava$1("f");
                        break;

                    case 4:
                        this.slice_del$esjava$0();
                        break;

                    case 5:
                        this.slice_from$esjava$1("s");
                        break;

                    case 6:
                        this.slice_from$esjava$1("b");
                        break;

                    case 7:
                        this.slice_from$esjava$1("c");
                        break;

                    case 8:
                        this.slice_from$esjava$1("d");
                        break;

                    case 9:
                        this.slice_from$esjava$1("f");
                        break;

                    case 10:
                        this.slice_from$esjava$1("g");
                        break;

                    case 11:
                        this.slice_from$esjava$1("p");
                        break;

                    case 12:
                        this.slice_from$esjava$1("s");
                        break;

                    case 13:
                        this.slice_from$esjava$1("t");
                        break;

                    case 14:
                        this.slice_from$esjava$1("b");
                        break;

                    case 15:
                        this.slice_from$esjava$1("c");
                        break;

                    case 16:
                        this.slice_from$esjava$1("d");
                        break;

                    case 17:
                        this.slice_from$esjava$1("f");
                        break;

                    case 18:
                        this.slice_from$esjava$1("g");
                        break;

                    case 19:
                        this.slice_from$esjava$1("m");
                        break;

                    case 20:
                        this.slice_from$esjava$1("p");
                        break;

                    case 21:
                        this.slice_from$esjava$1("t");
                        break;
                }

                return true;
            }
        }, {
            key: 'r_RV$esjava$0',
            value: function r_RV$esjava$0() {
                if (!(this.I_pV <= this.cursor)) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_R1$esjava$0',
            value: function r_R1$esjava$0() {
                if (!(this.I_p1 <= this.cursor)) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_R2$esjava$0',
            value: function r_R2$esjava$0() {
                if (!(this.I_p2 <= this.cursor)) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_noun_sfx$esjava$0',
            value: function r_noun_sfx$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(irishStemmer.a_1);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        if (!this.r_R1$esjava$0()) {
                            return false;
                        }

                        this.slice_del$esjava$0();
                        break;

                    case 2:
                        if (!this.r_R2$esjava$0()) {
                            return false;
                        }

                        this.slice_del$esjava$0();
                        break;
                }

                return true;
            }
        }, {
            key: 'r_deriv$esjava$0',
            value: function r_deriv$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(irishStemmer.a_2);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        if (!this.r_R2$esjava$0()) {
                            return false;
                        }

                        this.slice_del$esjava$0();
                        break;

                    case 2:
                        this.slice_from$esjava$1("arc");
                        break;

                    case 3:
                        this.slice_from$esjava$1("gin");
                        break;

                    case 4:
                        this.slice_from$esjava$1("graf");
                        break;

                    case 5:
                        this.slice_from$esjava$1("paite");
                        break;

                    case 6:
                        this.slice_from$esjava$1('\u00F3id');
                        break;
                }

                return true;
            }
        }, {
            key: 'r_verb_sfx$esjava$0',
            value: function r_verb_sfx$esjava$0() {
                var among_var = undefined;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(irishStemmer.a_3);

                if (among_var === 0) {
                    return false;
                }

                this.bra = this.cursor;

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        if (!this.r_RV$esjava$0()) {
                            return false;
                        }

                        this.slice_del$esjava$0();
                        break;

                    case 2:
                        if (!this.r_R1$esjava$0()) {
                            return false;
                        }

                        this.slice_del$esjava$0();
                        break;
                }

                return true;
            }
        }, {
            key: 'stem$esjava$0',
            value: function stem$esjava$0() {
                var v_1 = undefined;
                var v_2 = undefined;
                var v_3 = undefined;
                var v_4 = undefined;
                var v_5 = undefined;
                v_1 = this.cursor;

                lab0: do {
                    if (!this.r_initial_morph$esjava$0()) {
                        break lab0;
                    }
                } while (false);

                this.cursor = v_1;
                v_2 = this.cursor;

                lab1: do {
                    if (!this.r_mark_regions$esjava$0()) {
                        break lab1;
                    }
                } while (false);

                this.cursor = v_2;
                this.limit_backward = this.cursor;
                this.cursor = this.limit;
                v_3 = this.limit - this.cursor;

                lab2: do {
                    if (!this.r_noun_sfx$esjava$0()) {
                        break lab2;
                    }
                } while (false);

                this.cursor = this.limit - v_3;
                v_4 = this.limit - this.cursor;

                lab3: do {
                    if (!this.r_deriv$esjava$0()) {
                        break lab3;
                    }
                } while (false);

                this.cursor = this.limit - v_4;
                v_5 = this.limit - this.cursor;

                lab4: do {
                    if (!this.r_verb_sfx$esjava$0()) {
                        break lab4;
                    }
                } while (false);

                this.cursor = this.limit - v_5;
                this.cursor = this.limit_backward;
                return true;
            }
        }, {
            key: 'stem',
            value: function stem() {
                var _get39;

                for (var _len38 = arguments.length, args = Array(_len38), _key38 = 0; _key38 < _len38; _key38++) {
                    args[_key38] = arguments[_key38];
                }

                switch (args.length) {
                    case 0:
                        return this.stem$esjava$0.apply(this, args);
                }

                return (_get39 = _get(Object.getPrototypeOf(irishStemmer.prototype), 'stem', this)).call.apply(_get39, [this].concat(args));
            }
        }, {
            key: 'I_p2',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$I_p2') ? this._$esjava$I_p2 : this._$esjava$I_p2 = 0;
            },
            set: function set(v) {
                this._$esjava$I_p2 = v;
            }
        }, {
            key: 'I_p1',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$I_p1') ? this._$esjava$I_p1 : this._$esjava$I_p1 = 0;
            },
            set: function set(v) {
                this._$esjava$I_p1 = v;
            }
        }, {
            key: 'I_pV',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$I_pV') ? this._$esjava$I_pV : this._$esjava$I_pV = 0;
            },
            set: function set(v) {
                this._$esjava$I_pV = v;
            }
        }], [{
            key: 'a_0',
            get: function get() {
                delete irishStemmer.a_0;
                return irishStemmer.a_0 = [new Among("b'", -1, 4), new Among("bh", -1, 14), new Among("bhf", 1, 9), new Among("bp", -1, 11), new Among("ch", -1, 15), new Among("d'", -1, 2), new Among("d'fh", 5, 3), new Among("dh", -1, 16), new Among("dt", -1, 13), new Among("fh", -1, 17), new Among("gc", -1, 7), new Among("gh", -1, 18), new Among("h-", -1, 1), new Among("m'", -1, 4), new Among("mb", -1, 6), new Among("mh", -1, 19), new Among("n-", -1, 1), new Among("nd", -1, 8), new Among("ng", -1, 10), new Among("ph", -1, 20), new Among("sh", -1, 5), new Among("t-", -1, 1), new Among("th", -1, 21), new Among("ts", -1, 12)];
            }
        }, {
            key: 'a_1',
            get: function get() {
                delete irishStemmer.a_1;
                return irishStemmer.a_1 = [new Among('\u00EDochta', -1, 1), new Among('a\u00EDochta', 0, 1), new Among("ire", -1, 2), new Among("aire", 2, 2), new Among("abh", -1, 1), new Among("eabh", 4, 1), new Among("ibh", -1, 1), new Among("aibh", 6, 1), new Among("amh", -1, 1), new Among("eamh", 8, 1), new Among("imh", -1, 1), new Among("aimh", 10, 1), new Among('\u00EDocht', -1, 1), new Among('a\u00EDocht', 12, 1), new Among('ir\u00ED', -1, 2), new Among('air\u00ED', 14, 2)];
            }
        }, {
            key: 'a_2',
            get: function get() {
                delete irishStemmer.a_2;
                return irishStemmer.a_2 = [new Among('\u00F3ideacha', -1, 6), new Among("patacha", -1, 5), new Among("achta", -1, 1), new Among("arcachta", 2, 2), new Among("eachta", 2, 1), new Among('grafa\u00EDochta', -1, 4), new Among("paite", -1, 5), new Among("ach", -1, 1), new Among("each", 7, 1), new Among('\u00F3ideach', 8, 6), new Among("gineach", 8, 3), new Among("patach", 7, 5), new Among('grafa\u00EDoch', -1, 4), new Among("pataigh", -1, 5), new Among('\u00F3idigh', -1, 6), new Among('acht\u00FAil', -1, 1), new Among('eacht\u00FAil', 15, 1), new Among("gineas", -1, 3), new Among("ginis", -1, 3), new Among("acht", -1, 1), new Among("arcacht", 19, 2), new Among("eacht", 19, 1), new Among('grafa\u00EDocht', -1, 4), new Among('arcachta\u00ED', -1, 2), new Among('grafa\u00EDochta\u00ED', -1, 4)];
            }
        }, {
            key: 'a_3',
            get: function get() {
                delete irishStemmer.a_3;
                return irishStemmer.a_3 = [new Among("imid", -1, 1), new Among("aimid", 0, 1), new Among('\u00EDmid', -1, 1), new Among('a\u00EDmid', 2, 1), new Among("adh", -1, 2), new Among("eadh", 4, 2), new Among("faidh", -1, 1), new Among("fidh", -1, 1), new Among('\u00E1il', -1, 2), new Among("ain", -1, 2), new Among("tear", -1, 2), new Among("tar", -1, 2)];
            }
        }, {
            key: 'g_v',
            get: function get() {
                delete irishStemmer.g_v;
                return irishStemmer.g_v = [17, 65, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 17, 4, 2];
            }
        }]);

        return irishStemmer;
    }(SnowballStemmer);

    shared.algorithms.irish = irishStemmer;
})(this.__snowball);
